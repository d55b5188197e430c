export { startDevIdp, type DevIdpClient, type DevIdpHandle, type DevIdpOptions } from './server.js';
export { claimsFor, isValidUsername, subjectFor, type DevIdentityClaims } from './identity.js';

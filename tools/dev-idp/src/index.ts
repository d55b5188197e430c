export { startDevIdp, type DevIdpClient, type DevIdpHandle, type DevIdpOptions } from './server.js';
export { claimsFor, isValidUsername, subjectFor, type DevIdentityClaims } from './identity.js';
export { ID_JAG_TTL_SECONDS, ID_JAG_TYPE, ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, type IdJagAudiences } from './id-jag.js';
export { signInOverHttp, type ScriptedSignIn } from './scripted-sign-in.js';

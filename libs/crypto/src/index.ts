export * from './secrets.js';
export * from './tool-call-signature.js';
export * from './signing-key.js';

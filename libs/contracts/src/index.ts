export * from './subjects.js';
export * from './errors.js';
export * from './ui-chunks.js';
export * from './commands.js';
export * from './api.js';
export * from './wire-reply.js';
export * from './tool-output.js';
export * from './auth-commands.js';

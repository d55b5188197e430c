export * from './message-draft.js';
export * from './conversation-projection.js';
export * from './rebuild.js';

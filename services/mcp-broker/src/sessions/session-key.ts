/** One pooled session per user, server and credential: a new token (new version) gets a new session. */
export interface SessionKey {
  userId: string;
  serverUrl: string;
  credentialVersion: string;
}

export const sessionKeyId = (key: SessionKey): string =>
  JSON.stringify([key.userId, key.serverUrl, key.credentialVersion]);

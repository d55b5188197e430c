import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (MCP bearer tokens, OAuth tokens): AES-256-GCM with a versioned, self-describing format
 *
 *   v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>
 *
 * `keyId` names the key that encrypted the value, so keys can rotate: new values are encrypted with the current key,
 * old values still decrypt with a previous key until they are re-encrypted. The header `v1.<keyId>` is authenticated
 * (GCM additional data), so neither the version nor the key id can be swapped.
 */

export interface KeyringKey {
  /** First 8 hex characters of sha256(key). */
  id: string;
  key: Buffer;
}

export interface Keyring {
  current: KeyringKey;
  previous: KeyringKey[];
}

export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

const keyOf = (key: Buffer): KeyringKey => {
  if (key.length !== 32) throw new Error(`an AES-256 key is 32 bytes, got ${key.length}`);
  return { id: keyIdOf(key), key: Buffer.from(key) };
};

/** A keyring from the current key (e.g. `config.encryptionKey`) and any keys it replaced. */
export const createKeyring = (current: Buffer, previous: Buffer[] = []): Keyring => ({
  current: keyOf(current),
  previous: previous.map(keyOf),
});

export function encryptSecret(plaintext: string, keyring: Keyring): string {
  const { id, key } = keyring.current;
  const header = `${VERSION}.${id}`;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [header, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function decryptSecret(ciphertext: string, keyring: Keyring): string {
  const parts = ciphertext.split('.');
  if (parts.length !== 5) throw new SecretDecryptionError('malformed secret');
  const [version, keyId, ivB64, tagB64, ctB64] = parts;
  if (version !== VERSION) throw new SecretDecryptionError(`unsupported secret version ${JSON.stringify(version)}`);
  const entry = [keyring.current, ...keyring.previous].find((k) => k.id === keyId);
  if (!entry) throw new SecretDecryptionError(`no key ${keyId} in the keyring`);
  const iv = Buffer.from(ivB64, 'base64url');
  const tag = Buffer.from(tagB64, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError('malformed secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', entry.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${version}.${keyId}`, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptionError('secret failed authentication (tampered, or encrypted with another key)');
  }
}

/** True when the value was encrypted with an older key and should be re-encrypted with the current one. */
export const needsReencryption = (ciphertext: string, keyring: Keyring): boolean => ciphertext.split('.')[1] !== keyring.current.id;

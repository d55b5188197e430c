import { randomBytes } from 'node:crypto';
import { createKeyring, decryptSecret, encryptSecret, keyIdOf, needsReencryption, SecretDecryptionError } from '../../src/index.js';

const key = () => randomBytes(32);

describe('secrets at rest (AES-256-GCM)', () => {
  it('round-trips, in the versioned format, with a fresh IV each time', () => {
    const k = key();
    const ring = createKeyring(k);
    const a = encryptSecret('sk-live-123 ünïcødé', ring);
    const b = encryptSecret('sk-live-123 ünïcødé', ring);
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(a.split('.')[1]).toBe(keyIdOf(k));
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-live');
    expect(decryptSecret(a, ring)).toBe('sk-live-123 ünïcødé');
    expect(decryptSecret(encryptSecret('', ring), ring)).toBe('');
  });

  it('refuses a tampered ciphertext, tag, IV or header', () => {
    const ring = createKeyring(key());
    const secret = encryptSecret('token', ring);
    const [v, id, iv, tag, ct] = secret.split('.');
    const flip = (s: string) => {
      const buf = Buffer.from(s, 'base64url');
      buf[0] ^= 1;
      return buf.toString('base64url');
    };
    for (const bad of [
      [v, id, iv, tag, flip(ct)],
      [v, id, iv, flip(tag), ct],
      [v, id, flip(iv), tag, ct],
      ['v2', id, iv, tag, ct],
    ]) {
      expect(() => decryptSecret(bad.join('.'), ring)).toThrow(SecretDecryptionError);
    }
    expect(() => decryptSecret('not-a-secret', ring)).toThrow(SecretDecryptionError);
  });

  it('refuses a ciphertext of another key, even under a forged key id', () => {
    const ring = createKeyring(key());
    const other = createKeyring(key());
    const secret = encryptSecret('token', other);
    expect(() => decryptSecret(secret, ring)).toThrow(/no key/);
    const forged = secret.replace(`.${other.current.id}.`, `.${ring.current.id}.`);
    expect(() => decryptSecret(forged, ring)).toThrow(SecretDecryptionError);
  });

  it('rotates: old ciphertexts decrypt with a previous key, new ones use the current key', () => {
    const oldKey = key();
    const before = createKeyring(oldKey);
    const old = encryptSecret('token', before);
    const after = createKeyring(key(), [oldKey]);
    expect(decryptSecret(old, after)).toBe('token');
    expect(needsReencryption(old, after)).toBe(true);
    const fresh = encryptSecret('token', after);
    expect(fresh.split('.')[1]).toBe(after.current.id);
    expect(needsReencryption(fresh, after)).toBe(false);
    expect(() => decryptSecret(fresh, before)).toThrow(SecretDecryptionError);
  });

  it('only accepts 32-byte keys', () => {
    expect(() => createKeyring(randomBytes(16))).toThrow(/32 bytes/);
  });
});

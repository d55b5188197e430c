import { generateKeyPairSync } from 'node:crypto';
import { MAX_PRIVATE_KEY_PEM_CHARS, signingAlgOf, SigningKeyError, toPkcs8Pem } from '../../src/index.js';

const pkcs8 = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('signing keys for private_key_jwt', () => {
  it('chooses the algorithm from the key: RSA → RS256, P-256 → ES256, P-384 → ES384, in PKCS#8 or the older forms', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(signingAlgOf(pkcs8(rsa))).toBe('RS256');
    expect(signingAlgOf(rsa.export({ type: 'pkcs1', format: 'pem' }).toString())).toBe('RS256');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(signingAlgOf(pkcs8(p256))).toBe('ES256');
    expect(signingAlgOf(p256.export({ type: 'sec1', format: 'pem' }).toString())).toBe('ES256');
    expect(signingAlgOf(pkcs8(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey))).toBe('ES384');
    // The older forms are handed to the signer as PKCS#8.
    expect(toPkcs8Pem(p256.export({ type: 'sec1', format: 'pem' }).toString())).toBe(pkcs8(p256));
  });

  it('refuses what it cannot sign with, without quoting the key', () => {
    const refused = (pem: string) => {
      try {
        signingAlgOf(pem);
      } catch (err) {
        expect(err).toBeInstanceOf(SigningKeyError);
        if (pem.length > 80) expect((err as Error).message).not.toContain(pem.slice(40, 80));
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused('not a key')).toMatch(/PEM private key/);
    expect(refused(pkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey))).toMatch(/1024 bits/);
    expect(refused(pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey))).toMatch(/curve secp256k1/);
    expect(refused(pkcs8(generateKeyPairSync('ed25519').privateKey))).toMatch(/ed25519/);
    expect(refused(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toMatch(/PEM private key/);
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'p' }).toString();
    expect(refused(encrypted)).toMatch(/PEM private key/);
    expect(refused('-----BEGIN PRIVATE KEY-----\n' + 'A'.repeat(MAX_PRIVATE_KEY_PEM_CHARS))).toMatch(/longer than/);
    expect(refused('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toMatch(/not a readable/);
  });
});

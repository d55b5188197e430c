import { createPrivateKey, type KeyObject } from 'node:crypto';

/** The JWS algorithms Harness signs client assertions with (RFC 7523 `private_key_jwt`), chosen from the key. */
export type SigningAlg = 'RS256' | 'ES256' | 'ES384';

/** Bounds on a private key given by a user: a 4096-bit RSA PKCS#8 PEM is ~3.3 KB. */
export const MAX_PRIVATE_KEY_PEM_CHARS = 16_384;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/**
 * The signing algorithm for a PEM private key (PKCS#8 `PRIVATE KEY`, or the older `RSA PRIVATE KEY` / `EC PRIVATE
 * KEY`): RSA of 2048–8192 bits → RS256, EC P-256 → ES256, EC P-384 → ES384. Anything else (encrypted keys, public
 * keys, other curves or types, oversized input) throws a SigningKeyError whose message never quotes the key.
 */
export function signingAlgOf(pem: string): SigningAlg {
  if (pem.length > MAX_PRIVATE_KEY_PEM_CHARS) throw new SigningKeyError(`is longer than ${MAX_PRIVATE_KEY_PEM_CHARS} characters`);
  if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    throw new SigningKeyError('must be an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, PKCS#8)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SigningKeyError('is not a readable PEM private key');
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw new SigningKeyError(`is an RSA key of ${bits} bits; ${MIN_RSA_BITS} to ${MAX_RSA_BITS} are accepted`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ES256';
    if (details.namedCurve === 'secp384r1') return 'ES384';
    throw new SigningKeyError(`is an EC key on curve ${details.namedCurve ?? 'unknown'}; P-256 and P-384 are accepted`);
  }
  throw new SigningKeyError(`is a ${key.asymmetricKeyType ?? 'unknown'} key; RSA, EC P-256 and EC P-384 are accepted`);
}

/** The key as PKCS#8 PEM (what `jose.importPKCS8` reads), whatever PEM form it was given in. */
export function toPkcs8Pem(pem: string): string {
  return createPrivateKey({ key: pem, format: 'pem' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}

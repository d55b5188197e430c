import { createHash } from 'node:crypto';
import { apiKeyDisplayPrefix, apiKeyOfAuthorization, generateApiKey, hashApiKey, isApiKey } from '../../src/api-keys.js';

describe('API keys', () => {
  test('hk_ + 32 random bytes as base64url; each one different', () => {
    const keys = Array.from({ length: 50 }, generateApiKey);
    for (const k of keys) {
      expect(k).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(k.slice(3), 'base64url')).toHaveLength(32);
      expect(isApiKey(k)).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('the hash is the hex SHA-256 of the whole key; the display prefix shows 4 characters of it', () => {
    const k = generateApiKey();
    expect(hashApiKey(k)).toBe(createHash('sha256').update(k).digest('hex'));
    expect(hashApiKey(k)).toMatch(/^[0-9a-f]{64}$/);
    expect(apiKeyDisplayPrefix(k)).toBe(k.slice(0, 7));
  });

  test('isApiKey refuses other shapes', () => {
    for (const v of ['', 'hk_', `hk_${'A'.repeat(42)}`, `hk_${'A'.repeat(44)}`, `HK_${'A'.repeat(43)}`, `hk_${'A'.repeat(42)}=`, `xhk_${'A'.repeat(43)}`]) {
      expect(isApiKey(v)).toBe(false);
    }
  });

  test('apiKeyOfAuthorization: the key of a Bearer hk_ header; JWTs and other schemes are not keys', () => {
    const k = generateApiKey();
    expect(apiKeyOfAuthorization(`Bearer ${k}`)).toBe(k);
    expect(apiKeyOfAuthorization(`bearer   ${k} `)).toBe(k);
    expect(apiKeyOfAuthorization('Bearer aaa.bbb.ccc')).toBeUndefined();
    expect(apiKeyOfAuthorization(`Basic ${k}`)).toBeUndefined();
    expect(apiKeyOfAuthorization(undefined)).toBeUndefined();
    // A malformed key is still a key (and refused as one), not a JWT.
    expect(apiKeyOfAuthorization('Bearer hk_x')).toBe('hk_x');
  });
});

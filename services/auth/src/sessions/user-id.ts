import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A new user id: `u_` + 20 random base32 characters (100 bits), readable and a valid UserId. */
export function newUserId(): string {
  // 256 is a multiple of 32: the low five bits of a random byte are uniform.
  return `u_${[...randomBytes(20)].map((b) => BASE32[b & 31]).join('')}`;
}

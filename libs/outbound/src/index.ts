export { OutboundRefusedError, type OutboundRefusalCode } from './errors.js';
export {
  checkUrl,
  createOutboundPolicy,
  isAddressAllowlisted,
  isHostAllowlisted,
  type CheckedUrl,
  type HostResolver,
  type OutboundPolicy,
  type OutboundPolicyOptions,
  type ResolvedAddress,
} from './policy.js';
export { nonPublicReason } from './addresses.js';
export { pinnedLookup } from './pinning.js';
export { guardedFetch, type FetchLike, type GuardedFetchOptions } from './fetch.js';

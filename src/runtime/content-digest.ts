/**
 * SHA-256 of a buffer's bytes, remembered per buffer: proxies and cached compiled programs are the same
 * buffers call after call, so a hot path hashes them once rather than on every call.
 */
import { createHash } from 'node:crypto';

const digests = new WeakMap<Uint8Array, string>();

/** Hex SHA-256 of `data`. The buffer must not change after it is first hashed. */
export function contentDigest(data: Uint8Array): string {
  let digest = digests.get(data);
  if (digest === undefined) {
    digest = createHash('sha256').update(data).digest('hex');
    digests.set(data, digest);
  }
  return digest;
}

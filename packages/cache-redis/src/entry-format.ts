/**
 * How one cache entry sits in Redis: its key name under the store's prefix, the fields of its
 * hash, the checksum that tells a whole entry of this format from anything else, and the Lua
 * script of a hit.
 *
 * An entry is one Redis hash, `<prefix>:<name>`, where `<name>` is the cache key itself when it is
 * 8–128 lowercase hex digits (core's keys are 64) and the SHA-256 of the key otherwise:
 *
 * | field | |
 * |---|---|
 * | `k` | the cache key |
 * | `d` | the stored bytes |
 * | `c` | SHA-256 (hex) of the format marker, the key, the node and the bytes |
 * | `n` | the node's name (absent when the writer gave none) |
 * | `s` | stored at, ms since the epoch |
 * | `u` | last used at (a hit's time), ms since the epoch |
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Part of every checksum: an entry of another format version (or none) reads as a miss. */
export const FORMAT = "hamilton-ts redis cache 1";

const PLAIN_KEY = /^[0-9a-f]{8,128}$/;
const NAME = /^[0-9a-f]{8,128}$/;

/** The Redis key of a cache key's entry. */
export function entryName(prefix: string, key: string): string {
  const name = PLAIN_KEY.test(key) ? key : createHash("sha256").update(key).digest("hex");
  return `${prefix}:${name}`;
}

/**
 * Whether a Redis key found by SCAN is one of this prefix's entries: the rest after `<prefix>:`
 * must be a name this store makes (hex, no `:`), so a store whose prefix extends this one
 * (`<prefix>:team`) is never touched.
 */
export function isEntryName(prefix: string, redisKey: string): boolean {
  return (
    redisKey.length > prefix.length + 1 &&
    redisKey.startsWith(`${prefix}:`) &&
    NAME.test(redisKey.slice(prefix.length + 1))
  );
}

/** The SCAN pattern of a prefix's keys: glob characters in the prefix are escaped. */
export function scanPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
}

/** The checksum of an entry. */
export function checksum(key: string, node: string, data: Uint8Array): string {
  return createHash("sha256")
    .update(FORMAT)
    .update("\0")
    .update(key)
    .update("\0")
    .update(node)
    .update("\0")
    .update(data)
    .digest("hex");
}

/**
 * A hit, in one round trip: the entry's checksum, bytes, key and node, and `u` set to ARGV[1]
 * when there are bytes. A key that is not a hash (something else under the prefix) answers nil.
 */
export const GET_SCRIPT = `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return false end
local v = redis.call('HMGET', KEYS[1], 'c', 'd', 'k', 'n')
if v[2] then redis.call('HSET', KEYS[1], 'u', ARGV[1]) end
return v
`;

/** The SHA-1 of {@link GET_SCRIPT}, for EVALSHA. */
export const GET_SCRIPT_SHA = createHash("sha1").update(GET_SCRIPT).digest("hex");

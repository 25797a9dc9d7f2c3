/**
 * The size of a header list as HTTP/2 counts it for SETTINGS_MAX_HEADER_LIST_SIZE
 * (RFC 9113 §6.5.2, RFC 7541 §4.1): for each field, its name and value in
 * octets plus 32.
 */
import type { OutgoingHttpHeaders } from "node:http2";

/** The default limit on received header lists, on both sides: 64 KiB. */
export const DEFAULT_MAX_HEADER_LIST_SIZE = 64 * 1024;

/** What HTTP/2 counts for each field besides its name and value. */
const FIELD_OVERHEAD = 32;

/**
 * The header list size of `headers`. Names and values are counted as
 * characters: metadata is ASCII (binary values are base64).
 */
export function headerListSize(headers: OutgoingHttpHeaders): number {
  let size = 0;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value) size += name.length + String(v).length + FIELD_OVERHEAD;
    } else {
      size += name.length + String(value).length + FIELD_OVERHEAD;
    }
  }
  return size;
}

/**
 * The largest header list a peer accepts, from its SETTINGS; undefined until
 * they have arrived (or when it set no limit).
 */
export function peerHeaderListLimit(remoteSettings: { maxHeaderListSize?: number } | undefined): number | undefined {
  const limit = remoteSettings?.maxHeaderListSize;
  // node:http2 reports 2^32-1 for a peer that sent no limit.
  return limit === undefined || limit >= 0xffffffff ? undefined : limit;
}

/**
 * node:http2 also caps the number of fields in a received header list
 * (`maxHeaderListPairs`, default 128). Every field counts at least 32 bytes,
 * so this many always fit in `maxHeaderListSize`: the byte limit is the one
 * that applies.
 */
export function headerPairsFor(maxHeaderListSize: number): number {
  return Math.max(128, Math.ceil(maxHeaderListSize / FIELD_OVERHEAD) + 1);
}

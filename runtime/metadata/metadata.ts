import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";

/** A metadata value: text for ordinary keys, bytes for keys that end in `-bin`. */
export type MetadataValue<K extends string> = K extends `${string}-bin` ? Uint8Array : string;

/** What `new Metadata(init)` accepts: an object of keys to one value or several, or key/value pairs. */
export type MetadataInit =
  | Metadata
  | Record<string, string | Uint8Array | readonly string[] | readonly Uint8Array[]>
  | Iterable<readonly [string, string | Uint8Array]>;

const validKey = /^[0-9a-z_.-]+$/;
// Printable ASCII, space included (gRPC spec: ASCII-Value).
const validText = /^[\x20-\x7e]*$/;

/**
 * Header names that the gRPC and HTTP/2 layers own. User code may not set
 * them: connection-specific headers are forbidden by HTTP/2 (RFC 9113 §8.2.2),
 * and the rest are written by the runtime.
 */
const reservedKeys = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "host",
  "content-type",
  "content-length",
  "user-agent",
]);

/**
 * The `grpc-` keys that are the application's (gRPC A6, as in grpc-go): a
 * server sets `grpc-retry-pushback-ms` in its trailers to steer the client's
 * retries, and reads `grpc-previous-rpc-attempts` from the request.
 */
const applicationGrpcKeys = new Set(["grpc-retry-pushback-ms", "grpc-previous-rpc-attempts"]);

/** Whether `key` (lower case) may be set by user code. */
function isReserved(key: string): boolean {
  return (key.startsWith("grpc-") && !applicationGrpcKeys.has(key)) || key.startsWith(":") || reservedKeys.has(key);
}

/**
 * gRPC metadata: a multimap from case-insensitive keys to values.
 *
 * Keys ending in `-bin` hold bytes (base64 on the wire); every other key holds
 * printable ASCII text. Keys are stored in lower case. Reserved keys
 * (`grpc-*`, pseudo-headers, connection headers) are rejected with a TypeError.
 */
export class Metadata implements Iterable<[string, string | Uint8Array]> {
  readonly #map = new Map<string, (string | Uint8Array)[]>();

  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    if (init instanceof Metadata) {
      for (const [key, values] of init.#map) this.#map.set(key, values.slice());
      return;
    }
    if (Symbol.iterator in init) {
      for (const [key, value] of init as Iterable<readonly [string, string | Uint8Array]>) this.#append(key, value);
      return;
    }
    for (const [key, value] of Object.entries(init)) {
      if (Array.isArray(value)) for (const v of value as (string | Uint8Array)[]) this.#append(key, v);
      else this.#append(key, value as string | Uint8Array);
    }
  }

  /** The first value for `key`, or undefined. */
  get<K extends string>(key: K): MetadataValue<K> | undefined {
    return this.#map.get(key.toLowerCase())?.[0] as MetadataValue<K> | undefined;
  }

  /** Every value for `key`, in the order they were added. */
  getAll<K extends string>(key: K): MetadataValue<K>[] {
    return (this.#map.get(key.toLowerCase())?.slice() ?? []) as MetadataValue<K>[];
  }

  has(key: string): boolean {
    return this.#map.has(key.toLowerCase());
  }

  /** Replaces every value of `key` with `value`. */
  set<K extends string>(key: K, value: MetadataValue<K>): this {
    const k = checkEntry(key, value);
    this.#map.set(k, [value]);
    return this;
  }

  /** Adds `value` to the values of `key`. */
  append<K extends string>(key: K, value: MetadataValue<K>): this {
    return this.#append(key, value);
  }

  /** Adds every entry of `other` to this metadata. */
  merge(other: Metadata): this {
    for (const [key, values] of other.#map) {
      const mine = this.#map.get(key);
      if (mine) mine.push(...values);
      else this.#map.set(key, values.slice());
    }
    return this;
  }

  #append(key: string, value: string | Uint8Array): this {
    const k = checkEntry(key, value);
    const values = this.#map.get(k);
    if (values) values.push(value);
    else this.#map.set(k, [value]);
    return this;
  }

  delete(key: string): boolean {
    return this.#map.delete(key.toLowerCase());
  }

  /** The number of distinct keys. */
  get size(): number {
    return this.#map.size;
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  /** Every key/value pair; a key with several values appears once per value. */
  *[Symbol.iterator](): Iterator<[string, string | Uint8Array]> {
    for (const [key, values] of this.#map) for (const value of values) yield [key, value];
  }

  /** A plain object for logs: text values as is, bytes as base64. */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, values] of this.#map) {
      out[key] = values.map((v) => (typeof v === "string" ? v : Buffer.from(v).toString("base64")));
    }
    return out;
  }

  /**
   * Writes the entries into an HTTP/2 header object. Several values for one
   * key become several header fields; bytes go out as unpadded base64.
   * @internal
   */
  writeHeaders(headers: OutgoingHttpHeaders): void {
    for (const [key, values] of this.#map) {
      const encoded = values.map(encodeValue);
      headers[key] = encoded.length === 1 ? encoded[0] : encoded;
    }
  }

  /**
   * Reads user metadata from received HTTP/2 headers, skipping pseudo-headers
   * and the keys the protocol owns. Values that fail validation are dropped
   * rather than failing the call, as grpc-go does for received metadata.
   * @internal
   */
  static fromHeaders(headers: IncomingHttpHeaders): Metadata {
    const md = new Metadata();
    for (const key in headers) {
      if (isReserved(key)) continue;
      const raw = headers[key];
      if (raw === undefined) continue;
      const values = Array.isArray(raw) ? raw : [raw];
      const list = md.#map.get(key) ?? [];
      if (key.endsWith("-bin")) {
        // Several binary values may arrive comma-joined (gRPC spec, Custom-Metadata).
        for (const v of values) for (const part of v.split(",")) list.push(decodeBase64(part.trim()));
      } else {
        for (const v of values) if (validText.test(v)) list.push(v);
      }
      if (list.length > 0 && validKey.test(key)) md.#map.set(key, list);
    }
    return md;
  }
}

function checkEntry(key: string, value: string | Uint8Array): string {
  const k = key.toLowerCase();
  if (!validKey.test(k)) {
    throw new TypeError(`invalid metadata key "${key}": keys may hold only 0-9 a-z _ . -`);
  }
  if (isReserved(k)) {
    throw new TypeError(`metadata key "${key}" is reserved for the gRPC protocol`);
  }
  if (k.endsWith("-bin")) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`metadata key "${key}" ends in -bin: its value must be a Uint8Array`);
  } else if (typeof value !== "string") {
    throw new TypeError(`metadata key "${key}" holds text: its value must be a string (use a -bin key for bytes)`);
  } else if (!validText.test(value)) {
    throw new TypeError(`metadata value for "${key}" must be printable ASCII`);
  }
  return k;
}

function encodeValue(value: string | Uint8Array): string {
  if (typeof value === "string") return value;
  // Unpadded base64, as the spec asks senders to use.
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64").replace(/=+$/, "");
}

/** Decodes padded or unpadded base64. */
function decodeBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

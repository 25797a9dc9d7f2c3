import type { Compression } from "../compression/compression.js";
import { currentServerCall } from "../context/call-context.js";
import type { Metadata, MetadataInit } from "../metadata/metadata.js";
import type { ServerCall } from "../server/server-call.js";
import type { ClientInterceptor } from "../interceptors/client-interceptor.js";

/** Options for one call; a client's defaults and a call's own are merged (the call's win, metadata is combined). */
export interface CallOptions {
  /** Request metadata (custom headers). */
  metadata?: MetadataInit;
  /** Time allowed for the call, in milliseconds; sent as `grpc-timeout`. */
  timeout?: number;
  /** An absolute deadline (a Date or epoch milliseconds). The earlier of `deadline` and `timeout` applies. */
  deadline?: Date | number;
  /** Aborting it cancels the call (RST_STREAM CANCEL); the caller gets CANCELLED. */
  signal?: AbortSignal;
  /** Largest response message accepted, in bytes (default: the channel's, 4 MiB). */
  maxReceiveMessageSize?: number;
  /** Largest request message sent, in bytes (default: the channel's, no limit). */
  maxSendMessageSize?: number;
  /** How this call's requests are compressed: `"gzip"`, `"deflate"` or `"identity"` (default: the channel's `compression`). */
  compression?: Compression;
  /**
   * Wait for a connection instead of failing fast (gRPC's wait-for-ready):
   * while the channel is in TRANSIENT_FAILURE the call waits, until the
   * channel is READY or the call's deadline passes. Without it, such a call
   * fails at once with UNAVAILABLE and the connection error. Default: the
   * service config's `waitForReady` for the method, else false.
   */
  waitForReady?: boolean;
  /** Called with the response headers when they arrive. */
  onHeader?: (headers: Metadata) => void;
  /** Called with the trailing metadata when the call ends, on success or error. */
  onTrailer?: (trailers: Metadata) => void;
  /**
   * Deadline and cancellation propagation. A call made while a handler runs
   * inherits that handler's deadline (the earlier of the two applies) and is
   * cancelled when the handler's call is. `false` opts out; a `ServerCall`
   * names the parent explicitly (for work that outlives the handler's async
   * context, such as a queue consumer). Default: the current handler's call.
   */
  propagate?: boolean | ServerCall;
  /**
   * Interceptors for this call. On a client's default options they apply to
   * every call it makes; a call's own run inside the client's, which run
   * inside the channel's.
   */
  interceptors?: readonly ClientInterceptor[];
}

/**
 * The options a call runs with: the client's defaults and the call's own
 * combined, then the parent server call's deadline and signal applied.
 */
export function resolveCallOptions(defaults: CallOptions | undefined, options: CallOptions | undefined): CallOptions {
  const merged = mergeCallOptions(defaults, options);
  const propagate = merged.propagate;
  if (propagate === false) return merged;
  const parent = typeof propagate === "object" ? propagate : currentServerCall();
  return parent === undefined ? merged : inherit(merged, parent);
}

/** A `deadline` option as epoch milliseconds (Infinity for none). */
export function deadlineMs(deadline: Date | number | undefined): number {
  return deadline === undefined ? Infinity : typeof deadline === "number" ? deadline : deadline.getTime();
}

/** When the call must end, as epoch milliseconds: the earlier of its `deadline` and `timeout` (undefined: never). */
export function callDeadline(options: CallOptions): number | undefined {
  const at = Math.min(deadlineMs(options.deadline), options.timeout === undefined ? Infinity : Date.now() + options.timeout);
  return at === Infinity ? undefined : at;
}

function inherit(options: CallOptions, parent: ServerCall): CallOptions {
  const out: CallOptions = { ...options, signal: options.signal === undefined ? parent.signal : AbortSignal.any([options.signal, parent.signal]) };
  if (parent.deadline !== undefined) {
    out.deadline = Math.min(deadlineMs(options.deadline), parent.deadline);
  }
  return out;
}

/** Combines default options with a call's own. */
/** The options of a call given none: shared, never changed (whoever adds to options copies them). */
const NO_OPTIONS: CallOptions = Object.freeze({});

export function mergeCallOptions(defaults: CallOptions | undefined, options: CallOptions | undefined): CallOptions {
  if (defaults === undefined) return options ?? NO_OPTIONS;
  if (options === undefined) return defaults;
  const merged: CallOptions = { ...defaults, ...options };
  if (defaults.metadata !== undefined && options.metadata !== undefined) {
    merged.metadata = [...toEntries(defaults.metadata), ...toEntries(options.metadata)];
  }
  if (defaults.interceptors !== undefined && options.interceptors !== undefined) {
    merged.interceptors = [...defaults.interceptors, ...options.interceptors];
  }
  return merged;
}

function toEntries(init: MetadataInit): Array<readonly [string, string | Uint8Array]> {
  if (Symbol.iterator in init) return [...(init as Iterable<readonly [string, string | Uint8Array]>)];
  const out: Array<readonly [string, string | Uint8Array]> = [];
  for (const [key, value] of Object.entries(init)) {
    if (Array.isArray(value)) for (const v of value as (string | Uint8Array)[]) out.push([key, v]);
    else out.push([key, value as string | Uint8Array]);
  }
  return out;
}

import type { Metadata, MetadataInit } from "../metadata/metadata.js";

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
  /** Called with the response headers when they arrive. */
  onHeader?: (headers: Metadata) => void;
  /** Called with the trailing metadata when the call ends, on success or error. */
  onTrailer?: (trailers: Metadata) => void;
}

/** Combines default options with a call's own. */
export function mergeCallOptions(defaults: CallOptions | undefined, options: CallOptions | undefined): CallOptions {
  if (defaults === undefined) return options ?? {};
  if (options === undefined) return defaults;
  const merged: CallOptions = { ...defaults, ...options };
  if (defaults.metadata !== undefined && options.metadata !== undefined) {
    merged.metadata = [...toEntries(defaults.metadata), ...toEntries(options.metadata)];
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

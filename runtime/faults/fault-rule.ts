import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { methodGlob } from "./method-glob.js";

/** An `error` rule: calls it matches end with `status` and `message`. */
export interface ErrorFaultSpec {
  /** A method glob, `/package.Service/Method` with `*` for any characters (see `methodGlob`). */
  readonly method: string;
  /** The status code, 1 to 16. */
  readonly status: Status;
  /** The status message (default: empty). */
  readonly message?: string;
}

/** A `delay` rule: calls it matches wait `ms` before going on (within their deadline). */
export interface DelayFaultSpec {
  readonly method: string;
  /** Milliseconds, 0 to 2^31 − 1. */
  readonly ms: number;
}

/** A `drop` rule: calls it matches end with UNAVAILABLE "connection dropped". */
export interface DropFaultSpec {
  readonly method: string;
}

/** A rule as written in JSON (`FaultInjector.fromJSON`): its spec and its kind. */
export type FaultRuleJSON =
  | ({ readonly kind: "error" } & ErrorFaultSpec)
  | ({ readonly kind: "delay" } & DelayFaultSpec)
  | ({ readonly kind: "drop" } & DropFaultSpec);

/** The message of the status a `drop` rule answers with (UNAVAILABLE). */
export const DROPPED_MESSAGE = "connection dropped";

const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * One fault rule: what it does, to which methods, whether it is on, and how
 * often it has been triggered. Made by `fault.error()`, `fault.delay()` and
 * `fault.drop()`, and used by a `FaultInjector`. Turn it off and on with
 * `enabled`, at any time.
 */
export class FaultRule {
  readonly kind: "error" | "delay" | "drop";
  /** The method glob. */
  readonly method: string;
  /** For `error`: the status code; UNAVAILABLE for `drop`. */
  readonly status: Status | undefined;
  /** For `error` and `drop`: the status message. */
  readonly message: string | undefined;
  /** For `delay`: the delay in milliseconds. */
  readonly ms: number | undefined;
  /** Whether the rule applies; false skips it without removing it. */
  enabled = true;
  readonly #matches: (path: string) => boolean;
  #hits = 0;

  /** @internal Use `fault.error()`, `fault.delay()`, `fault.drop()` or `FaultInjector.fromJSON()`. */
  constructor(spec: FaultRuleJSON) {
    const checked = checkRule(spec, "fault rule");
    this.kind = checked.kind;
    this.method = checked.method;
    this.#matches = methodGlob(checked.method);
    switch (checked.kind) {
      case "error":
        this.status = checked.status;
        this.message = checked.message ?? "";
        this.ms = undefined;
        break;
      case "drop":
        this.status = Status.UNAVAILABLE;
        this.message = DROPPED_MESSAGE;
        this.ms = undefined;
        break;
      case "delay":
        this.status = undefined;
        this.message = undefined;
        this.ms = checked.ms;
        break;
    }
  }

  /** How many calls the rule has been triggered on. */
  get hits(): number {
    return this.#hits;
  }

  /** Whether the rule is enabled and its glob matches `path`. */
  matches(path: string): boolean {
    return this.enabled && this.#matches(path);
  }

  /** Counts one trigger. @internal */
  hit(): void {
    this.#hits++;
  }

  /** Sets `hits` back to 0. */
  resetHits(): void {
    this.#hits = 0;
  }

  /** The error a terminal rule (`error`, `drop`) ends a call with. @internal */
  error(): GrpcError {
    return new GrpcError(this.status ?? Status.UNKNOWN, this.message ?? "");
  }

  /** The rule as JSON, as `FaultInjector.fromJSON` reads it. */
  toJSON(): FaultRuleJSON {
    switch (this.kind) {
      case "error":
        return { kind: "error", method: this.method, status: this.status!, message: this.message! };
      case "delay":
        return { kind: "delay", method: this.method, ms: this.ms! };
      case "drop":
        return { kind: "drop", method: this.method };
    }
  }
}

/** Makers of fault rules, one per kind, after seed 004's `error()`, `delay()` and `drop()`. */
export const fault = {
  /** Calls matching `method` end with `status` and `message`; the handler (server side) or the server (client side) is never reached. */
  error: (spec: ErrorFaultSpec): FaultRule => new FaultRule({ kind: "error", ...spec }),
  /** Calls matching `method` wait `ms` first; the call's deadline and cancellation still apply. */
  delay: (spec: DelayFaultSpec): FaultRule => new FaultRule({ kind: "delay", ...spec }),
  /** Calls matching `method` end with UNAVAILABLE "connection dropped". */
  drop: (spec: DropFaultSpec): FaultRule => new FaultRule({ kind: "drop", ...spec }),
} as const;

const KEYS = { error: ["kind", "method", "status", "message"], delay: ["kind", "method", "ms"], drop: ["kind", "method"] } as const;

/**
 * Checks that `value` is a fault rule, with a message naming `where` and
 * the field at fault. Unknown fields are errors too: a misspelt `"ms"` must
 * not silently make a rule without a delay.
 */
export function checkRule(value: unknown, where: string): FaultRuleJSON {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${where}: expected an object, got ${describe(value)}`);
  const rule = value as Record<string, unknown>;
  const kind = rule["kind"];
  if (kind !== "error" && kind !== "delay" && kind !== "drop") {
    throw new TypeError(`${where}: "kind" must be "error", "delay" or "drop", got ${describe(kind)}`);
  }
  for (const key of Object.keys(rule)) {
    if (!(KEYS[kind] as readonly string[]).includes(key)) {
      throw new TypeError(`${where}: unknown field "${key}" for a ${kind} rule (allowed: ${KEYS[kind].join(", ")})`);
    }
  }
  const method = rule["method"];
  if (typeof method !== "string" || method === "") throw new TypeError(`${where}: "method" must be a non-empty string (a glob such as "/pkg.Service/*" or "*"), got ${describe(method)}`);
  if (method !== "*" && !method.startsWith("/") && !method.startsWith("*")) {
    throw new TypeError(`${where}: "method" must start with "/" (a path like "/pkg.Service/Method") or "*", got ${JSON.stringify(method)}`);
  }
  switch (kind) {
    case "error": {
      const status = rule["status"];
      if (typeof status !== "number" || !Number.isInteger(status) || status < 1 || status > 16) {
        throw new TypeError(`${where}: "status" must be a gRPC status code from 1 to 16, got ${describe(status)}`);
      }
      const message = rule["message"];
      if (message !== undefined && typeof message !== "string") throw new TypeError(`${where}: "message" must be a string, got ${describe(message)}`);
      return message === undefined ? { kind, method, status: status as Status } : { kind, method, status: status as Status, message };
    }
    case "delay": {
      const ms = rule["ms"];
      if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) {
        throw new TypeError(`${where}: "ms" must be a number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${describe(ms)}`);
      }
      return { kind, method, ms };
    }
    case "drop":
      return { kind, method };
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  return JSON.stringify(value) ?? String(value);
}

import type { DescMethod } from "@bufbuild/protobuf";
import { Status } from "../status/status.js";
import type { LoadBalancingPolicy } from "./balancer/balancer.js";

/**
 * A gRPC service config (doc/service_config.md), in its JSON shape: what the
 * channel does per method (retries, default timeout and waitForReady) and
 * which load-balancing policy it uses. Given as `ChannelOptions.serviceConfig`.
 *
 * ```ts
 * const serviceConfig: ServiceConfig = {
 *   methodConfig: [{
 *     name: [{ service: "greeter.v1.Greeter" }],
 *     retryPolicy: { maxAttempts: 3, initialBackoff: "0.1s", maxBackoff: "1s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
 *   }],
 * };
 * ```
 */
export interface ServiceConfig {
  /** The first policy in the list that is known is used (`pick_first` or `round_robin`). */
  readonly loadBalancingConfig?: readonly LoadBalancingConfig[];
  readonly methodConfig?: readonly MethodConfig[];
  /** Retry throttling (gRPC A6): retries stop while too many calls fail. */
  readonly retryThrottling?: RetryThrottling;
}

/** One entry of `loadBalancingConfig`: `{ round_robin: {} }` or `{ pick_first: {} }`. */
export type LoadBalancingConfig = { readonly [P in LoadBalancingPolicy]?: Readonly<Record<string, unknown>> };

/** Which methods a method config applies to: `{ service, method }` (one), `{ service }` (all of a service), `{}` (every method). */
export interface MethodName {
  readonly service?: string;
  readonly method?: string;
}

/** The settings of the methods it names. */
export interface MethodConfig {
  readonly name: readonly MethodName[];
  /** The default of the `waitForReady` call option for these methods (a call's own setting wins). */
  readonly waitForReady?: boolean;
  /** Largest time a call may take, as a protobuf JSON duration (`"1.5s"`); the earlier of it and the call's deadline applies. */
  readonly timeout?: string;
  readonly retryPolicy?: RetryPolicy;
}

/** A status code by name (`"UNAVAILABLE"`) or number. */
export type StatusCodeName = keyof typeof Status | Status;

/** When and how failed calls are retried (gRPC A6, "Retry Policy"). */
export interface RetryPolicy {
  /** Attempts in all, the first included: at least 2; more than 5 is treated as 5 (A6). */
  readonly maxAttempts: number;
  /** Durations as protobuf JSON (`"0.1s"`). The n-th retry waits random(0, min(initialBackoff * backoffMultiplier^(n-1), maxBackoff)). */
  readonly initialBackoff: string;
  readonly maxBackoff: string;
  readonly backoffMultiplier: number;
  /** The statuses that are retried; any other ends the call. */
  readonly retryableStatusCodes: readonly StatusCodeName[];
}

/** A6 retry throttling: a token bucket of `maxTokens`; each failure takes 1, each success gives `tokenRatio`; no retries at or below half. */
export interface RetryThrottling {
  readonly maxTokens: number;
  readonly tokenRatio: number;
}

/** A retry policy checked and in numbers. @internal */
export interface CompiledRetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly retryableCodes: ReadonlySet<number>;
}

/** A method config checked and in numbers. @internal */
export interface CompiledMethodConfig {
  readonly waitForReady: boolean | undefined;
  readonly timeoutMs: number | undefined;
  readonly retry: CompiledRetryPolicy | undefined;
}

/** A6: "maxAttempts ... values greater than 5 are treated as 5". */
const MAX_ATTEMPTS_CAP = 5;

/**
 * The service config checked up front (a mistake throws a TypeError at
 * `new Channel()`, naming the field), with a lookup from a method to the
 * config that applies to it: the most specific name wins (service + method,
 * then service, then the empty name), as doc/service_config.md says.
 * @internal
 */
export class MethodConfigs {
  readonly #exact = new Map<string, CompiledMethodConfig>();
  readonly #service = new Map<string, CompiledMethodConfig>();
  #fallback: CompiledMethodConfig | undefined;
  readonly #cache = new WeakMap<DescMethod, CompiledMethodConfig | null>();

  constructor(configs: readonly MethodConfig[]) {
    configs.forEach((config, i) => {
      const where = `serviceConfig.methodConfig[${i}]`;
      const compiled = compileMethodConfig(config, where);
      if (!Array.isArray(config.name) || config.name.length === 0) throw new TypeError(`${where}.name must be a non-empty list`);
      for (const name of config.name) {
        const key = name.service === undefined || name.service === "" ? undefined : name.service;
        if (key === undefined) {
          if (name.method !== undefined && name.method !== "") throw new TypeError(`${where}.name: a method needs its service`);
          if (this.#fallback !== undefined) throw new TypeError(`${where}.name: a second default (empty) name`);
          this.#fallback = compiled;
        } else if (name.method === undefined || name.method === "") {
          if (this.#service.has(key)) throw new TypeError(`${where}.name: service ${key} is named twice`);
          this.#service.set(key, compiled);
        } else {
          const path = `${key}/${name.method}`;
          if (this.#exact.has(path)) throw new TypeError(`${where}.name: method ${path} is named twice`);
          this.#exact.set(path, compiled);
        }
      }
    });
  }

  /** The config for `method`, if one applies. */
  get(method: DescMethod): CompiledMethodConfig | undefined {
    let found = this.#cache.get(method);
    if (found === undefined) {
      const service = method.parent.typeName;
      found = this.#exact.get(`${service}/${method.name}`) ?? this.#service.get(service) ?? this.#fallback ?? null;
      this.#cache.set(method, found);
    }
    return found ?? undefined;
  }
}

function compileMethodConfig(config: MethodConfig, where: string): CompiledMethodConfig {
  if (config.waitForReady !== undefined && typeof config.waitForReady !== "boolean") throw new TypeError(`${where}.waitForReady must be a boolean`);
  return {
    waitForReady: config.waitForReady,
    timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout, `${where}.timeout`),
    retry: config.retryPolicy === undefined ? undefined : compileRetryPolicy(config.retryPolicy, `${where}.retryPolicy`),
  };
}

function compileRetryPolicy(policy: RetryPolicy, where: string): CompiledRetryPolicy {
  // A6 "Validation of retryPolicy": every field is required, and each has a valid range.
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 2) throw new TypeError(`${where}.maxAttempts must be an integer >= 2`);
  const initialBackoffMs = parseDuration(policy.initialBackoff, `${where}.initialBackoff`);
  const maxBackoffMs = parseDuration(policy.maxBackoff, `${where}.maxBackoff`);
  if (initialBackoffMs <= 0) throw new TypeError(`${where}.initialBackoff must be > 0`);
  if (maxBackoffMs <= 0) throw new TypeError(`${where}.maxBackoff must be > 0`);
  if (typeof policy.backoffMultiplier !== "number" || !(policy.backoffMultiplier > 0)) throw new TypeError(`${where}.backoffMultiplier must be > 0`);
  if (!Array.isArray(policy.retryableStatusCodes) || policy.retryableStatusCodes.length === 0) {
    throw new TypeError(`${where}.retryableStatusCodes must be a non-empty list`);
  }
  const retryableCodes = new Set<number>();
  for (const code of policy.retryableStatusCodes) {
    const value = typeof code === "number" ? code : (Status as Record<string, number>)[String(code).toUpperCase()];
    if (value === undefined || !Number.isInteger(value) || value < 0 || value > 16 || value === Status.OK) {
      throw new TypeError(`${where}.retryableStatusCodes: ${JSON.stringify(code)} is not a status code (other than OK)`);
    }
    retryableCodes.add(value);
  }
  return {
    maxAttempts: Math.min(policy.maxAttempts, MAX_ATTEMPTS_CAP),
    initialBackoffMs,
    maxBackoffMs,
    backoffMultiplier: policy.backoffMultiplier,
    retryableCodes,
  };
}

/** Checks retryThrottling (A6: maxTokens in (0, 1000], tokenRatio > 0, kept to 3 decimals). @internal */
export function checkRetryThrottling(throttling: RetryThrottling): RetryThrottling {
  const { maxTokens, tokenRatio } = throttling;
  if (typeof maxTokens !== "number" || !(maxTokens > 0 && maxTokens <= 1000)) throw new TypeError("serviceConfig.retryThrottling.maxTokens must be in (0, 1000]");
  if (typeof tokenRatio !== "number" || !(tokenRatio > 0)) throw new TypeError("serviceConfig.retryThrottling.tokenRatio must be > 0");
  return { maxTokens, tokenRatio: Math.floor(tokenRatio * 1000) / 1000 };
}

/** The policy named by `loadBalancingConfig`: the first entry we know (doc/service_config.md). @internal */
export function policyFromConfig(config: ServiceConfig | undefined): LoadBalancingPolicy | undefined {
  for (const entry of config?.loadBalancingConfig ?? []) {
    for (const name of Object.keys(entry)) if (name === "pick_first" || name === "round_robin") return name;
  }
  if (config?.loadBalancingConfig !== undefined && config.loadBalancingConfig.length > 0) {
    throw new TypeError(`serviceConfig.loadBalancingConfig names no known policy (pick_first, round_robin)`);
  }
  return undefined;
}

/** A protobuf JSON duration (`"1.5s"`, `"0.000001s"`) in milliseconds. */
function parseDuration(text: string, where: string): number {
  const match = typeof text === "string" ? /^(\d+)(?:\.(\d{1,9}))?s$/.exec(text) : null;
  if (match === null) throw new TypeError(`${where} must be a duration like "0.5s", got ${JSON.stringify(text)}`);
  return Number(match[1]) * 1000 + Number(`0.${match[2] ?? "0"}`) * 1000;
}

import type { ClientInterceptor } from "../interceptors/client-interceptor.js";
import type { ServerInterceptor } from "../interceptors/server-interceptor.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { abortableSleep } from "./abortable-sleep.js";
import { callDeadline } from "../client/call-options.js";
import { FaultRule, checkRule } from "./fault-rule.js";

/**
 * Fault rules for tests and drills, applied by a server interceptor
 * (`server()`) or a client interceptor (`client()`), or both.
 *
 * For each call, the enabled rules whose glob matches its path are taken in
 * the order they were added: each `delay` waits its time, and the first
 * `error` or `drop` ends the call with its status; rules after that one are
 * not triggered. Every rule triggered counts one hit (`rule.hits`). Rules can
 * be added, removed, and turned off and on (`rule.enabled`) while calls run.
 *
 * Server side, an `error` or `drop` answers before the handler runs; client
 * side, before the request is sent (as a trailers-only error would). A
 * delay ends early with the call's own status when its deadline passes or
 * it is cancelled meanwhile; its timer is cleared then.
 */
export class FaultInjector {
  #rules: FaultRule[] = [];
  /** Whether any rule applies; false turns them all off at once. */
  enabled = true;

  constructor(rules: Iterable<FaultRule> = []) {
    this.add(...rules);
  }

  /**
   * An injector with the rules in `rules`, a parsed JSON array such as
   * `[{"kind":"error","method":"/pkg.Svc/*","status":14,"message":"service unavailable"},
   * {"kind":"delay","method":"*","ms":200}, {"kind":"drop","method":"/pkg.Svc/Create"}]`.
   * Throws a TypeError naming the first bad rule and field, so a bad file is
   * refused up front and never fails calls later.
   */
  static fromJSON(rules: unknown): FaultInjector {
    if (!Array.isArray(rules)) throw new TypeError(`fault rules: expected a JSON array of rules, got ${rules === null ? "null" : typeof rules}`);
    return new FaultInjector(rules.map((rule, i) => new FaultRule(checkRule(rule, `fault rule ${i}`))));
  }

  /** The rules, in the order they apply. */
  get rules(): readonly FaultRule[] {
    return this.#rules;
  }

  /** Adds rules after those there are; returns the first, for `const rule = injector.add(fault.drop(...))`. */
  add<R extends FaultRule>(rule: R, ...more: FaultRule[]): R;
  add(...rules: FaultRule[]): FaultRule | undefined;
  add(...rules: FaultRule[]): FaultRule | undefined {
    for (const rule of rules) {
      if (!(rule instanceof FaultRule)) throw new TypeError("FaultInjector.add: expected rules made by fault.error(), fault.delay() or fault.drop()");
    }
    this.#rules = [...this.#rules, ...rules];
    return rules[0];
  }

  /** Removes `rule`; returns whether it was there. */
  remove(rule: FaultRule): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r !== rule);
    return this.#rules.length !== before;
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** The rules that apply to a call to `path` now, in order, up to and including the first `error` or `drop`. */
  #plan(path: string): FaultRule[] | undefined {
    if (!this.enabled) return undefined;
    let plan: FaultRule[] | undefined;
    for (const rule of this.#rules) {
      if (!rule.matches(path)) continue;
      (plan ??= []).push(rule);
      if (rule.kind !== "delay") break;
    }
    return plan;
  }

  /** A server interceptor applying the rules to every call it sees. Calls no rule matches go straight through. */
  server(): ServerInterceptor {
    return (next) => (call, requests) => {
      const plan = this.#plan(call.path);
      if (plan === undefined) return next(call, requests);
      return (async function* () {
        // The call's signal aborts at its deadline or on a cancel; the call has then already ended with that status.
        await apply(plan, call.signal);
        yield* next(call, requests);
      })();
    };
  }

  /**
   * A client interceptor applying the rules to every call it sees. A delay
   * counts against the call's deadline: the call goes out afterwards with
   * the time that is left, or fails with DEADLINE_EXCEEDED if none is.
   */
  client(): ClientInterceptor {
    return (next) => async (request) => {
      const plan = this.#plan(request.path);
      if (plan === undefined) return next(request);
      const options = request.options;
      const deadline = callDeadline(options);
      try {
        await apply(plan, options.signal, deadline);
      } catch (error) {
        throw cancelled(error);
      }
      if (deadline !== undefined && plan.some((rule) => rule.kind === "delay")) request.options = { ...options, timeout: undefined, deadline };
      return next(request);
    };
  }
}

/**
 * Triggers the rules of a plan in order: waits the delays, throws the first
 * error. A delay that would run past `deadline` (epoch ms) waits until it,
 * then throws DEADLINE_EXCEEDED; one cut short by `signal` throws its reason.
 */
async function apply(plan: readonly FaultRule[], signal: AbortSignal | undefined, deadline?: number): Promise<void> {
  for (const rule of plan) {
    rule.hit();
    if (rule.kind !== "delay") throw rule.error();
    const left = deadline === undefined ? Infinity : Math.max(0, deadline - Date.now());
    if (rule.ms! <= left) {
      await abortableSleep(rule.ms!, signal);
      continue;
    }
    await abortableSleep(left, signal);
    throw new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded during an injected delay of ${rule.ms}ms`);
  }
}

function cancelled(reason: unknown): GrpcError {
  if (reason instanceof GrpcError) return reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new GrpcError(Status.CANCELLED, detail === "" ? "call cancelled" : `call cancelled: ${detail}`, { cause: reason });
}

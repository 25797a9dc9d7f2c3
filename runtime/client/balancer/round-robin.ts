import type * as http2 from "node:http2";
import { ConnectivityState } from "../connectivity.js";
import type { Subchannel } from "../subchannel.js";
import type { Address } from "../target.js";
import { addressKey, type Balancer, type BalancerHelper } from "./balancer.js";

/**
 * round_robin (load-balancing.md): a connection to every address, and calls
 * spread over the ready ones in turn. A lost connection is reconnected at
 * once (then with backoff) and the target re-resolved; the calls go to the
 * others meanwhile. READY while any address is; TRANSIENT_FAILURE once all
 * have failed, and sticky until one connects again (grpc-go).
 * @internal
 */
export class RoundRobin implements Balancer {
  readonly #helper: BalancerHelper;
  #subchannels = new Map<string, Subchannel>();
  #ready: Subchannel[] = [];
  #next = 0;
  #state: ConnectivityState = ConnectivityState.IDLE;

  constructor(helper: BalancerHelper) {
    this.#helper = helper;
  }

  updateAddresses(addresses: readonly Address[]): void {
    const next = new Map<string, Subchannel>();
    for (const address of addresses) {
      const key = addressKey(address);
      if (next.has(key)) continue;
      next.set(key, this.#subchannels.get(key) ?? this.#helper.createSubchannel(address, () => this.#update()));
    }
    for (const [key, old] of this.#subchannels) if (!next.has(key)) void old.shutdown();
    this.#subchannels = next;
    for (const subchannel of next.values()) subchannel.connect();
    this.#update();
  }

  exitIdle(): void {
    for (const subchannel of this.#subchannels.values()) subchannel.connect();
  }

  pick(): http2.ClientHttp2Session | undefined {
    const ready = this.#ready;
    for (let tries = ready.length; tries > 0; tries--) {
      const subchannel = ready[this.#next++ % ready.length]!;
      const session = subchannel.session;
      if (session !== undefined) return session;
    }
    return undefined;
  }

  async shutdown(): Promise<void> {
    const all = [...this.#subchannels.values()];
    this.#subchannels.clear();
    this.#ready = [];
    await Promise.all(all.map((s) => s.shutdown()));
  }

  #update(): void {
    const all = [...this.#subchannels.values()];
    let lost = false;
    for (const subchannel of all) {
      if (subchannel.state === ConnectivityState.IDLE) {
        lost = true;
        subchannel.connect();
      }
    }
    this.#ready = all.filter((s) => s.state === ConnectivityState.READY);
    let state: ConnectivityState;
    let error: Error | undefined;
    if (this.#ready.length > 0) state = ConnectivityState.READY;
    else if (all.length === 0 || all.every((s) => s.state === ConnectivityState.TRANSIENT_FAILURE)) {
      state = ConnectivityState.TRANSIENT_FAILURE;
      error = all.find((s) => s.lastError !== undefined)?.lastError ?? new Error("the resolver returned no addresses");
    } else if (this.#state === ConnectivityState.TRANSIENT_FAILURE) {
      // Sticky: reconnecting after a backoff does not make the channel CONNECTING again.
      state = ConnectivityState.TRANSIENT_FAILURE;
      error = all.find((s) => s.lastError !== undefined)?.lastError;
    } else state = ConnectivityState.CONNECTING;
    this.#state = state;
    this.#helper.updateState(state, error);
    if (lost || state === ConnectivityState.TRANSIENT_FAILURE) this.#helper.requestResolution();
  }
}

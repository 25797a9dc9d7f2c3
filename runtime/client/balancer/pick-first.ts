import type * as http2 from "node:http2";
import { ConnectivityState } from "../connectivity.js";
import type { Subchannel } from "../subchannel.js";
import type { Address } from "../target.js";
import { addressKey, type Balancer, type BalancerHelper } from "./balancer.js";

/**
 * pick_first, gRPC's default policy (load-balancing.md): try the addresses
 * in order until one connects, then send every call over that one
 * connection. When it is lost the channel goes IDLE and asks for a new
 * resolution; the next call starts over from the first address.
 *
 * While no address has connected, the ones that failed keep retrying on their
 * own backoff and the first to connect wins. Once every address has failed,
 * the state is TRANSIENT_FAILURE (and stays so until one connects, as in
 * grpc-go's sticky TRANSIENT_FAILURE).
 * @internal
 */
export class PickFirst implements Balancer {
  readonly #helper: BalancerHelper;
  #addresses: readonly Address[] = [];
  #subchannels: Subchannel[] = [];
  #selected: Subchannel | undefined;
  readonly #failed = new Set<Subchannel>();
  #wanted = false;

  constructor(helper: BalancerHelper) {
    this.#helper = helper;
  }

  updateAddresses(addresses: readonly Address[]): void {
    this.#addresses = addresses;
    const selected = this.#selected;
    if (selected !== undefined && addresses.some((a) => addressKey(a) === addressKey(selected.address))) return;
    if (selected === undefined && !this.#wanted) return;
    this.#restart();
  }

  exitIdle(): void {
    this.#wanted = true;
    if (this.#selected === undefined && this.#subchannels.length === 0) this.#restart();
  }

  pick(): http2.ClientHttp2Session | undefined {
    return this.#selected?.session;
  }

  async shutdown(): Promise<void> {
    const all = this.#subchannels;
    this.#subchannels = [];
    this.#selected = undefined;
    this.#wanted = false;
    await Promise.all(all.map((s) => s.shutdown()));
  }

  /** A new pass over the current addresses, first to last. */
  #restart(): void {
    for (const old of this.#subchannels) void old.shutdown();
    this.#selected = undefined;
    this.#failed.clear();
    this.#subchannels = this.#addresses.map((address) => this.#helper.createSubchannel(address, (s) => this.#onChange(s)));
    if (this.#subchannels.length === 0) {
      this.#helper.updateState(ConnectivityState.TRANSIENT_FAILURE, new Error("the resolver returned no addresses"));
      return;
    }
    this.#helper.updateState(ConnectivityState.CONNECTING);
    this.#subchannels[0]!.connect();
  }

  #onChange(subchannel: Subchannel): void {
    const index = this.#subchannels.indexOf(subchannel);
    if (index < 0) return;
    switch (subchannel.state) {
      case ConnectivityState.READY: {
        // The winner: the others stop trying.
        for (const other of this.#subchannels) if (other !== subchannel) void other.shutdown();
        this.#subchannels = [subchannel];
        this.#selected = subchannel;
        this.#helper.updateState(ConnectivityState.READY);
        return;
      }
      case ConnectivityState.TRANSIENT_FAILURE: {
        const first = !this.#failed.has(subchannel);
        this.#failed.add(subchannel);
        // First pass: on to the next address.
        if (first) this.#subchannels[index + 1]?.connect();
        if (this.#failed.size === this.#subchannels.length) {
          this.#helper.updateState(ConnectivityState.TRANSIENT_FAILURE, subchannel.lastError);
          this.#helper.requestResolution();
        }
        return;
      }
      case ConnectivityState.IDLE: {
        if (subchannel !== this.#selected) return;
        // The connection was lost: IDLE until the next call wants one (grpc-go pick_first).
        this.#selected = undefined;
        this.#subchannels = [];
        this.#wanted = false;
        void subchannel.shutdown();
        this.#helper.updateState(ConnectivityState.IDLE);
        this.#helper.requestResolution();
        return;
      }
      default:
        return;
    }
  }
}

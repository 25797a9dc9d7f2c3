import type * as http2 from "node:http2";
import type { ConnectivityState } from "../connectivity.js";
import type { Subchannel } from "../subchannel.js";
import type { Address } from "../target.js";

/** The load-balancing policies: gRPC's two built-in ones. */
export type LoadBalancingPolicy = "pick_first" | "round_robin";

/** What a balancer gets from its channel. @internal */
export interface BalancerHelper {
  /** A new subchannel for `address`; its state changes are reported to `onChange`. */
  createSubchannel(address: Address, onChange: (subchannel: Subchannel) => void): Subchannel;
  /** The balancer's aggregate state changed; `error` explains a TRANSIENT_FAILURE. */
  updateState(state: ConnectivityState, error?: Error): void;
  /** Asks the channel to resolve the target again (after a failure or a lost connection). */
  requestResolution(): void;
}

/**
 * A load-balancing policy (gRPC load-balancing.md): it owns the subchannels
 * for the resolved addresses, reports an aggregate connectivity state and
 * picks the connection for each call.
 * @internal
 */
export interface Balancer {
  /** The resolver's (new) address list. */
  updateAddresses(addresses: readonly Address[]): void;
  /** Start connecting (the channel has calls waiting, or was asked to connect). */
  exitIdle(): void;
  /** A ready connection for one call, or undefined when there is none right now. */
  pick(): http2.ClientHttp2Session | undefined;
  /** Shuts every subchannel down; resolves when their connections have closed. */
  shutdown(): Promise<void>;
}

/** A stable key for an address, to match subchannels across resolutions. @internal */
export function addressKey(address: Address): string {
  return "path" in address ? `unix:${address.path}` : `${address.host}|${address.port}`;
}

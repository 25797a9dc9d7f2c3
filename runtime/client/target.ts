import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** Where a connection goes: a TCP address (an IP, or a name when the channel has `createConnection`) or a UNIX socket path. */
export type Address = { readonly host: string; readonly port: number } | { readonly path: string };

/**
 * A channel target, parsed per the gRPC name-resolution doc (doc/naming.md):
 * either a DNS name resolved when the channel connects (and again after
 * failures), or a fixed list of addresses.
 * @internal
 */
export type ParsedTarget =
  | { readonly kind: "dns"; readonly host: string; readonly port: number; readonly authority: string }
  | { readonly kind: "static"; readonly addresses: readonly Address[]; readonly authority: string };

/** doc/naming.md: "If no port is specified, 443 is used". */
const DEFAULT_PORT = 443;

const FORMS =
  "expected host:port, dns:///host:port, ipv4:addr:port[,addr:port...], ipv6:[addr]:port[,...], unix:/path or unix:///path";

/**
 * Parses a target string:
 *
 * - `host:port`, `dns:///host:port`, `http://host:port`, `https://host:port` (TLS): resolved by DNS (an IP literal is used as is);
 * - `ipv4:10.0.0.1:50051,10.0.0.2:50051` and `ipv6:[::1]:50051,[::2]:50051`: those addresses;
 * - `unix:relative/or/absolute/path`, `unix:///absolute/path`: a UNIX domain socket (authority `localhost`).
 *
 * Throws a TypeError naming the problem and the accepted forms.
 * @internal
 */
export function parseTarget(target: string): ParsedTarget {
  const fail = (why: string): never => {
    throw new TypeError(`invalid target "${target}": ${why}; ${FORMS}`);
  };
  if (target.startsWith("unix:")) {
    let path = target.slice("unix:".length);
    if (path.startsWith("//")) {
      // unix://absolute_path: the authority must be empty, so this is unix:///path.
      if (!path.startsWith("///")) fail("unix:// must be followed by an absolute path (unix:///path)");
      path = path.slice(2);
    }
    if (path === "") fail("empty UNIX socket path");
    return { kind: "static", addresses: [{ path }], authority: "localhost" };
  }
  if (target.startsWith("ipv4:") || target.startsWith("ipv6:")) {
    const family = target.startsWith("ipv4:") ? 4 : 6;
    const list = target.slice(5);
    if (list === "") fail("no addresses");
    const addresses = list.split(",").map((part) => {
      const parsed = splitHostPort(part) ?? fail(`"${part}" is not addr[:port]`);
      if (isIP(parsed.host) !== family) fail(`"${parsed.host}" is not an IPv${family} address`);
      return parsed;
    });
    return { kind: "static", addresses, authority: list.split(",")[0]! };
  }
  let rest = target;
  if (target.startsWith("http://")) rest = target.slice("http://".length).replace(/\/$/, "");
  // https:// is the same address; the channel connects over TLS for it.
  else if (target.startsWith("https://")) rest = target.slice("https://".length).replace(/\/$/, "");
  else if (target.startsWith("dns:")) {
    rest = target.slice("dns:".length);
    if (rest.startsWith("//")) {
      const slash = rest.indexOf("/", 2);
      if (slash !== 2) fail("a DNS server authority (dns://server/...) is not supported; use dns:///host:port");
      rest = rest.slice(3);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    fail(`unknown scheme "${target.slice(0, target.indexOf(":"))}"`);
  }
  const parsed = splitHostPort(rest) ?? fail("not host[:port]");
  const authority = rest;
  if (isIP(parsed.host) !== 0) return { kind: "static", addresses: [parsed], authority };
  return { kind: "dns", host: parsed.host, port: parsed.port, authority };
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address (no brackets) too. */
function splitHostPort(text: string): { host: string; port: number } | undefined {
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([0-9a-fA-F:.%a-zA-Z]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1]!;
    port = bracketed[2];
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const match = /^([^:/\s\[\]@,?#]+)(?::(\d+))?$/.exec(text);
    if (match === null) return undefined;
    host = match[1]!;
    port = match[2];
  }
  const number = port === undefined ? DEFAULT_PORT : Number(port);
  if (!Number.isInteger(number) || number < 0 || number > 65535) return undefined;
  return { host, port: number };
}

/**
 * The addresses of a parsed target: a DNS name is looked up (every address,
 * IPv4 and IPv6, in the resolver's order), a fixed list is returned as is.
 * A failed lookup rejects with an Error saying which name failed.
 * @internal
 */
export async function resolveTarget(target: ParsedTarget): Promise<readonly Address[]> {
  if (target.kind === "static") return target.addresses;
  let found: { address: string }[];
  try {
    found = await lookup(target.host, { all: true });
  } catch (error) {
    throw new Error(`DNS resolution failed for ${target.host}: ${(error as Error).message}`, { cause: error });
  }
  if (found.length === 0) throw new Error(`DNS resolution for ${target.host} returned no addresses`);
  return found.map(({ address }) => ({ host: address, port: target.port }));
}

/** `127.0.0.1:50051`, `[::1]:50051` or `unix:/path`: an address as errors and `peer` show it. */
export function formatAddress(address: Address): string {
  if ("path" in address) return `unix:${address.path}`;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

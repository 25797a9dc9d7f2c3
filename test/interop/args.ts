// What the interop programs (ours and the grpc-js peers) share: the flags of
// the gRPC interop spec in `--flag value` or `--flag=value` form, usage errors
// (exit 2), the case names, and the loop that runs cases and prints
// `PASS name` / `FAIL name: reason` and `N passed, M failed`.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The test cases every interop client here implements, in the order `all`
 * runs them (names and expectations from grpc/grpc doc/interop-test-descriptions.md).
 */
export const CASE_NAMES = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
] as const;

export type CaseName = (typeof CASE_NAMES)[number];

/**
 * More cases from the same document that our client runs by name (not in
 * `all`): metadata echo, cancellation and deadlines.
 */
export const EXTRA_CASE_NAMES = ["custom_metadata", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server"] as const;

export type ExtraCaseName = (typeof EXTRA_CASE_NAMES)[number];

/**
 * The compression cases, also run by name (not in `all`). They need a server
 * with the CompressedRequest and CompressedResponse features: ours has both,
 * the grpc-js peer only CompressedRequest (grpc-js servers never compress
 * responses), the Python peer neither.
 */
export const COMPRESSION_CASE_NAMES = [
  "client_compressed_unary",
  "server_compressed_unary",
  "client_compressed_streaming",
  "server_compressed_streaming",
] as const;

export type CompressionCaseName = (typeof COMPRESSION_CASE_NAMES)[number];

/** The compression cases a server without CompressedResponse (grpc-js) passes. */
export const CLIENT_COMPRESSION_CASE_NAMES = ["client_compressed_unary", "client_compressed_streaming"] as const satisfies readonly CompressionCaseName[];

/** A command-line mistake: the program prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type FlagKind = "string" | "port" | "boolean";

/** Flag name (without `--`) to the kind of value it takes. */
export type FlagSpec = Record<string, FlagKind>;

type FlagValue<K extends FlagKind> = K extends "port" ? number : K extends "boolean" ? boolean : string;
export type ParsedFlags<S extends FlagSpec> = { [F in keyof S]?: FlagValue<S[F]> };

/**
 * Parses `--name value`, `--name=value` and, for boolean flags, a bare
 * `--name` (true). A boolean flag takes the next word only when it is
 * `true` or `false`. Unknown flags, missing values, positional words and
 * malformed values throw a UsageError.
 */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): ParsedFlags<S> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || arg === "--") throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const kind = spec[name];
    if (kind === undefined) {
      throw new UsageError(`unknown flag --${name} (known: ${Object.keys(spec).map((f) => `--${f}`).join(", ")})`);
    }
    let raw: string;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else if (kind === "boolean") {
      const next = argv[i + 1];
      raw = next === "true" || next === "false" ? argv[++i]! : "true";
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`flag --${name} needs a value`);
      raw = next;
      i++;
    }
    out[name] = parseValue(name, kind, raw);
  }
  return out as ParsedFlags<S>;
}

function parseValue(name: string, kind: FlagKind, raw: string): string | number | boolean {
  switch (kind) {
    case "string":
      if (raw === "") throw new UsageError(`flag --${name} needs a value`);
      return raw;
    case "port": {
      const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
      if (!(port >= 0 && port <= 65535)) throw new UsageError(`flag --${name}: "${raw}" is not a port number (0-65535)`);
      return port;
    }
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw new UsageError(`flag --${name}: expected true or false, got "${raw}"`);
  }
}

/** The TLS flags of the clients (the interop spec's, plus file paths: this repository ships no test CA). */
export const CLIENT_TLS_FLAGS = {
  use_tls: "boolean",
  use_test_ca: "boolean",
  ca_file: "string",
  server_host_override: "string",
  cert_file: "string",
  key_file: "string",
} as const satisfies FlagSpec;

/** The TLS flags of the servers. */
export const SERVER_TLS_FLAGS = {
  use_tls: "boolean",
  cert_file: "string",
  key_file: "string",
  ca_file: "string",
  require_client_cert: "boolean",
} as const satisfies FlagSpec;

/** The client TLS flags' usage lines. */
export const CLIENT_TLS_USAGE = `  --use_tls               true: connect over TLS (default false)
  --use_test_ca           true: trust the CA in --ca_file instead of the system roots (needs --ca_file)
  --ca_file               PEM file of the trusted root(s)
  --server_host_override  the name the server's certificate is checked against (SNI and :authority)
  --cert_file, --key_file PEM client certificate and key, for servers that require one (mTLS)`;

/** The server TLS flags' usage lines. */
export const SERVER_TLS_USAGE = `  --use_tls              true: serve over TLS (default false; needs --cert_file and --key_file)
  --cert_file, --key_file  PEM server certificate (chain) and key
  --require_client_cert  true: mutual TLS, clients must present a certificate from --ca_file
  --ca_file              PEM file of the roots client certificates must chain to`;

/** What a client's TLS flags ask for: the file contents, read. */
export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  serverName?: string;
}

/** What a server's TLS flags ask for. */
export interface ServerTls {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  requireClientCert: boolean;
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read --${flag} ${path}: ${(error as Error).message}`);
  }
}

function requireTlsFor(flags: Record<string, unknown>, names: readonly string[]): void {
  const stray = names.filter((name) => flags[name] !== undefined && flags[name] !== false);
  if (stray.length > 0) throw new UsageError(`${stray.map((n) => `--${n}`).join(", ")} only apply with --use_tls true`);
}

/** The client's TLS setup from its flags, or undefined for plain text. */
export function clientTls(flags: ParsedFlags<typeof CLIENT_TLS_FLAGS>): ClientTls | undefined {
  if (flags.use_tls !== true) {
    requireTlsFor(flags, ["use_test_ca", "ca_file", "server_host_override", "cert_file", "key_file"]);
    return undefined;
  }
  if (flags.use_test_ca === true && flags.ca_file === undefined) throw new UsageError("--use_test_ca needs --ca_file (the test CA's PEM file)");
  if ((flags.cert_file === undefined) !== (flags.key_file === undefined)) throw new UsageError("--cert_file and --key_file go together");
  const tls: ClientTls = {};
  if (flags.ca_file !== undefined) tls.ca = readFlagFile("ca_file", flags.ca_file);
  if (flags.cert_file !== undefined) tls.cert = readFlagFile("cert_file", flags.cert_file);
  if (flags.key_file !== undefined) tls.key = readFlagFile("key_file", flags.key_file);
  if (flags.server_host_override !== undefined) tls.serverName = flags.server_host_override;
  return tls;
}

/** The server's TLS setup from its flags, or undefined for plain text. */
export function serverTls(flags: ParsedFlags<typeof SERVER_TLS_FLAGS>): ServerTls | undefined {
  if (flags.use_tls !== true) {
    requireTlsFor(flags, ["cert_file", "key_file", "ca_file", "require_client_cert"]);
    return undefined;
  }
  if (flags.cert_file === undefined || flags.key_file === undefined) throw new UsageError("--use_tls true needs --cert_file and --key_file");
  if (flags.require_client_cert === true && flags.ca_file === undefined) throw new UsageError("--require_client_cert needs --ca_file");
  const tls: ServerTls = {
    cert: readFlagFile("cert_file", flags.cert_file),
    key: readFlagFile("key_file", flags.key_file),
    requireClientCert: flags.require_client_cert ?? false,
  };
  if (flags.ca_file !== undefined) tls.ca = readFlagFile("ca_file", flags.ca_file);
  return tls;
}

/** Where `npm run generate` writes the interop service's TypeScript. */
export const GENERATED_GRPC = fileURLToPath(new URL("../../examples/gen/grpc/testing/test_grpc.ts", import.meta.url));

/** Fails with an actionable message when the generated code is missing. */
export function requireGenerated(): void {
  if (!existsSync(GENERATED_GRPC)) {
    throw new UsageError(`generated code not found at ${GENERATED_GRPC}: run \`npm run build && npm run generate\` first`);
  }
}

/** The folder holding grpc/testing/*.proto, for @grpc/proto-loader. */
export const PROTO_DIR = fileURLToPath(new URL("../../proto/", import.meta.url));

/**
 * Runs a command-line program: a UsageError prints its message and the usage
 * and exits 2; any other error prints it and exits 1.
 */
export async function runMain(usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    }
  }
}

/** The cases named by `--test_case`: `all` (the core cases) or one name, core or extra. */
export function selectCases<N extends string>(testCase: string | undefined, core: readonly N[], extra: readonly N[] = []): readonly N[] {
  if (testCase === undefined) throw new UsageError("--test_case is required (a case name or all)");
  if (testCase === "all") return core;
  const known = [...core, ...extra];
  const name = known.find((n) => n === testCase);
  if (name !== undefined) return [name];
  throw new UsageError(`unknown test case "${testCase}" (known: all, ${known.join(", ")})`);
}

/** One line for a failed case: the error's first line, without a stack. */
export function failureReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/**
 * Runs the cases one after another, printing `PASS name` or `FAIL name: reason`
 * for each and `N passed, M failed` at the end. Returns the failed names.
 */
export async function runCaseList<N extends string>(names: readonly N[], run: (name: N) => Promise<void>): Promise<N[]> {
  const failed: N[] = [];
  for (const name of names) {
    try {
      await run(name);
      console.log(`PASS ${name}`);
    } catch (error) {
      failed.push(name);
      console.log(`FAIL ${name}: ${failureReason(error)}`);
    }
  }
  console.log(`${names.length - failed.length} passed, ${failed.length} failed`);
  return failed;
}

/** The client flags of the interop spec that these clients take. */
export const CLIENT_FLAGS = {
  server_host: "string",
  server_port: "port",
  test_case: "string",
  ...CLIENT_TLS_FLAGS,
} as const satisfies FlagSpec;

/** `host:port`, with brackets for an IPv6 host. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

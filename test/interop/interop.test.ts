// The gRPC interop cases in every direction, one subtest per case:
//
//   our client     → grpc-js server   (child process)
//   grpc-js client → our server       (child process)
//   our client     → our server       (child process)
//   the CLI programs themselves (exit codes, summary line, usage errors)
//   TLS and mutual TLS: our client ↔ grpc-js server, grpc-js client ↔ our server, and
//     our CLI client ↔ our CLI server, with certificates made at test time
//   Python grpcio (C core), both ways, plain text and mutual TLS
//
// Each direction runs the ten core cases (the `all` of the CLIs) and, as
// `extra: ...` subtests, the extra cases that client implements, and the
// compression cases the server supports (`compression: ...`): all four
// against ours, the two client_compressed_* against grpc-js (its servers
// never compress responses), the two server_compressed_* against Python
// (grpcio does not show a handler whether a request came compressed).
//
// Servers run as child processes on 127.0.0.1 with `--port 0` and announce
// their port on stdout. Every child runs in its own process group and is
// stopped by PID (SIGTERM, then SIGKILL of the group); every call, test and
// hook has a time limit, so nothing can hang the run.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Channel, Server } from "tsgrpc";
import {
  CASE_NAMES,
  CLIENT_COMPRESSION_CASE_NAMES,
  COMPRESSION_CASE_NAMES,
  EXTRA_CASE_NAMES,
  GENERATED_GRPC,
  type CaseName,
  type CompressionCaseName,
} from "./args.js";
import { GRPC_JS_EXTRA_CASE_NAMES, GrpcJsCases } from "./grpc-js-cases.js";
import { OVERRIDE_HOST, testCerts } from "../connection/certs.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = process.execPath;
const TSX = ["--conditions=tsgrpc-source", "--import", "tsx"];
const PYTHON = "/usr/bin/python3";

/** Limits: one case, a server start, a server stop (SIGTERM to SIGKILL), one CLI run. */
const CASE_TIMEOUT_MS = 20_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 60_000;

ensureGenerated();
// After ensureGenerated(): these import the generated code.
const { runCase } = await import("./cases.js");
const { TestService } = await import("../../examples/gen/grpc/testing/test_pb.js");

// ---------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();

/** Last resort: whatever is still running when the file ends is killed by PID. */
after(() => {
  for (const child of children) killHard(child);
});
process.on("exit", () => {
  for (const child of children) killHard(child);
});

/**
 * Kills a child and anything it started: children run in their own process
 * group (`detached`), so the negative PID reaches them all. Its pipes are
 * closed too, so a survivor cannot keep this process alive.
 */
function killHard(child: ChildProcess): void {
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Starts a program in its own process group, tracked until it has exited. */
function spawnTracked(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.add(child);
  return child;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Peer {
  readonly port: number;
  readonly target: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves with how it exited. */
  stop(): Promise<Exit>;
}

/**
 * Resolves once the child has exited and its output has been read ("close").
 * Should something it started hold the pipes open, that is killed.
 */
function finished(child: ChildProcess, onError: (error: Error) => void): Promise<Exit> {
  return new Promise((resolve) => {
    let exit: Exit = { code: null, signal: null };
    let timer: NodeJS.Timeout | undefined;
    child.once("error", onError);
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      timer = setTimeout(() => killHard(child), 2_000);
    });
    child.once("close", () => {
      clearTimeout(timer);
      children.delete(child);
      resolve(exit);
    });
  });
}

/** Starts a server program with `--port 0` and waits for its `listening on HOST:PORT` line. */
async function startServer(label: string, command: string, args: string[]): Promise<Peer> {
  const child = spawnTracked(command, [...args, "--port", "0"]);
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const done = finished(child, (error) => (output += `\n${error.message}`));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} printed no "listening on" line in ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const check = () => {
      const match = /^listening on \S+:(\d+)$/m.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    };
    child.stdout!.on("data", check);
    void done.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${exit.code ?? exit.signal}) before listening:\n${output}`));
    });
  });

  return {
    port,
    target: `127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => killHard(child), STOP_TIMEOUT_MS);
      const exit = await done;
      clearTimeout(timer);
      return exit;
    },
  };
}

interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a program to the end (killed after CLI_TIMEOUT_MS). */
async function runCli(command: string, args: string[]): Promise<CliResult> {
  const child = spawnTracked(command, args);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => killHard(child), CLI_TIMEOUT_MS);
  const exit = await finished(child, (error) => (stderr += error.message));
  clearTimeout(timer);
  return { ...exit, stdout, stderr };
}

/** Our programs run from source, as `npm run interop:*` runs them. */
const ours = (script: string, ...args: string[]) => [...TSX, `test/interop/${script}`, ...args];

/** The per-case lines of a client's output: name → `PASS name` or `FAIL name: reason`. */
function caseLines(stdout: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /^(PASS|FAIL) ([a-z_]+)/.exec(line);
    if (match !== null) lines.set(match[2]!, line);
  }
  return lines;
}

function assertCasePassed(lines: Map<string, string>, name: CaseName, output: string): void {
  const line = lines.get(name);
  assert.ok(line !== undefined, `no line for ${name} in the client's output:\n${output}`);
  assert.equal(line, `PASS ${name}`);
}

/**
 * The suite imports the checked-in examples/gen (test/examples checks it is
 * current); it never regenerates it, so running tests writes nothing there.
 */
function ensureGenerated(): void {
  if (!existsSync(GENERATED_GRPC)) throw new Error(`${GENERATED_GRPC} is missing: run \`npm run build && npm run generate\``);
}

// ---------------------------------------------------------------------------
// The three directions

describe("our client → grpc-js server", () => {
  let server: Peer;
  let channel: Channel;
  before(async () => {
    server = await startServer("grpc-js server", NODE, ours("grpc-js-server.ts"));
    channel = new Channel(server.target);
  }, { timeout: START_TIMEOUT_MS + 5_000 });
  after(async () => {
    await channel?.close();
    await server?.stop();
  }, { timeout: STOP_TIMEOUT_MS + 15_000 });

  for (const name of CASE_NAMES) {
    test(name, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
  }
  for (const name of EXTRA_CASE_NAMES) {
    test(`extra: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
  }
  for (const name of CLIENT_COMPRESSION_CASE_NAMES) {
    test(`compression: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
  }
  test("compression: server_compressed_* fail against it, since grpc-js never compresses (the flags are checked)", { timeout: CASE_TIMEOUT_MS }, async () => {
    await assert.rejects(runCase("server_compressed_unary", channel), /compressed flag is false/);
    await assert.rejects(runCase("server_compressed_streaming", channel), /compressed flags/);
  });
});

describe("grpc-js client → our server", () => {
  let server: Peer;
  let client: GrpcJsCases;
  before(async () => {
    server = await startServer("tsgrpc server", NODE, ours("server.ts"));
    client = new GrpcJsCases(server.target);
  }, { timeout: START_TIMEOUT_MS + 5_000 });
  after(async () => {
    client?.close();
    await server?.stop();
  }, { timeout: STOP_TIMEOUT_MS + 15_000 });

  for (const name of CASE_NAMES) {
    test(name, { timeout: CASE_TIMEOUT_MS }, () => client.run(name));
  }
  for (const name of GRPC_JS_EXTRA_CASE_NAMES) {
    test(`extra: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => client.run(name));
  }

  test("our server logged no handler errors", () => {
    assert.doesNotMatch(server.output(), /handler for .* failed|Error/);
  });
});

describe("our client → our server", () => {
  let server: Peer;
  let channel: Channel;
  before(async () => {
    server = await startServer("tsgrpc server", NODE, ours("server.ts"));
    channel = new Channel(server.target);
  }, { timeout: START_TIMEOUT_MS + 5_000 });
  after(async () => {
    await channel?.close();
    await server?.stop();
  }, { timeout: STOP_TIMEOUT_MS + 15_000 });

  for (const name of CASE_NAMES) {
    test(name, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
  }
  for (const name of EXTRA_CASE_NAMES) {
    test(`extra: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
  }
  for (const name of COMPRESSION_CASE_NAMES) {
    test(`compression: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
  }

  test("the server closes gracefully on SIGTERM and exits 0", { timeout: STOP_TIMEOUT_MS + 5_000 }, async () => {
    await channel.close();
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, server.output());
    assert.match(server.output(), /server stopped/);
    assert.doesNotMatch(server.output(), /handler for .* failed/);
  });
});

// ---------------------------------------------------------------------------
// The programs, as a user runs them

describe("command-line programs", () => {
  let ourServer: Peer;
  let grpcJsServer: Peer;
  before(async () => {
    [ourServer, grpcJsServer] = await Promise.all([
      startServer("tsgrpc server", NODE, ours("server.ts")),
      startServer("grpc-js server", NODE, ours("grpc-js-server.ts")),
    ]);
  }, { timeout: START_TIMEOUT_MS + 5_000 });
  after(async () => {
    await Promise.all([ourServer?.stop(), grpcJsServer?.stop()]);
  }, { timeout: STOP_TIMEOUT_MS + 15_000 });

  const allPassed = (result: CliResult) => {
    assert.equal(result.code, 0, `exit code ${result.code}\n${result.stdout}${result.stderr}`);
    const lines = result.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, -1), CASE_NAMES.map((name) => `PASS ${name}`));
    assert.equal(lines.at(-1), `${CASE_NAMES.length} passed, 0 failed`);
  };

  test("client.ts --test_case all against our server: 10 passed, 0 failed", { timeout: CLI_TIMEOUT_MS }, async () => {
    allPassed(await runCli(NODE, ours("client.ts", "--server_host", "127.0.0.1", "--server_port", String(ourServer.port), "--test_case", "all")));
  });

  test("client.ts --test_case=all against the grpc-js server (--flag=value form)", { timeout: CLI_TIMEOUT_MS }, async () => {
    allPassed(await runCli(NODE, ours("client.ts", "--server_host=127.0.0.1", `--server_port=${grpcJsServer.port}`, "--test_case=all", "--use_tls=false")));
  });

  test("grpc-js-client.ts --test_case all against our server", { timeout: CLI_TIMEOUT_MS }, async () => {
    allPassed(await runCli(NODE, ours("grpc-js-client.ts", "--server_port", String(ourServer.port), "--test_case", "all", "--use_tls", "false")));
  });

  test("client.ts runs a single case", { timeout: CLI_TIMEOUT_MS }, async () => {
    const result = await runCli(NODE, ours("client.ts", "--server_port", String(ourServer.port), "--test_case", "ping_pong"));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout, "PASS ping_pong\n1 passed, 0 failed\n");
  });

  test("client.ts exits 1 and names the failures when the server is gone", { timeout: CLI_TIMEOUT_MS }, async () => {
    // A port that was just free: bind, note it, close.
    const probe = new Server();
    const { port } = await probe.listen({ host: "127.0.0.1", port: 0 });
    await probe.close();
    const result = await runCli(NODE, ours("client.ts", "--server_port", String(port), "--test_case", "empty_unary"));
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^FAIL empty_unary: UNAVAILABLE: /m);
    assert.match(result.stdout, /^0 passed, 1 failed$/m);
    assert.match(result.stderr, /1 of 1 case\(s\) failed: empty_unary/);
  });

  test("client.ts --use_tls true reaches for TLS: against a closed port it fails the case, UNAVAILABLE", { timeout: CLI_TIMEOUT_MS }, async () => {
    const probe = new Server();
    const { port } = await probe.listen({ host: "127.0.0.1", port: 0 });
    await probe.close();
    const result = await runCli(NODE, ours("client.ts", "--server_port", String(port), "--test_case", "empty_unary", "--use_tls", "true"));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^FAIL empty_unary: UNAVAILABLE: /m);
  });

  for (const [program, args, message] of [
    ["client.ts", ["--server_port", "1", "--test_case", "no_such_case"], /unknown test case "no_such_case"/],
    ["client.ts", ["--server_port", "1", "--test_case", "all", "--bogus", "1"], /unknown flag --bogus/],
    ["client.ts", ["--server_port", "http", "--test_case", "all"], /"http" is not a port number/],
    ["client.ts", ["--test_case", "all"], /--server_port is required/],
    ["server.ts", ["--prot", "1"], /unknown flag --prot/],
    ["server.ts", ["--port", "0", "--use_tls", "true"], /--use_tls true needs --cert_file and --key_file/],
    ["grpc-js-server.ts", ["--port", "0", "--use_tls"], /--use_tls true needs --cert_file and --key_file/],
    ["server.ts", ["--port", "0", "--use_tls", "--cert_file", "x.pem", "--key_file", "/nonexistent.key"], /cannot read --cert_file x\.pem/],
    ["server.ts", ["--port", "0", "--cert_file", "x.pem"], /--cert_file only apply with --use_tls true/],
    ["client.ts", ["--server_port", "1", "--test_case", "all", "--ca_file", "ca.pem"], /--ca_file only apply with --use_tls true/],
    ["client.ts", ["--server_port", "1", "--test_case", "all", "--use_tls", "--use_test_ca"], /--use_test_ca needs --ca_file/],
    ["grpc-js-client.ts", ["--server_port", "1", "--test_case", "all", "--use_tls", "--cert_file", "c.pem"], /--cert_file and --key_file go together/],
  ] as const) {
    test(`${program} ${args.join(" ")} is a usage error`, { timeout: CLI_TIMEOUT_MS }, async () => {
      const result = await runCli(NODE, ours(program, ...args));
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /usage:/);
    });
  }
});

// ---------------------------------------------------------------------------
// TLS and mutual TLS, both ways with grpc-js and between our own CLIs

describe("TLS and mTLS", () => {
  const certs = testCerts();
  /** The cases run over TLS: every call shape, metadata and a status. */
  const TLS_CASES = ["empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "status_code_and_message", "custom_metadata"] as const;
  const serverArgs = (mtls: boolean) => [
    "--use_tls", "true", "--cert_file", certs.server.certFile, "--key_file", certs.server.keyFile,
    ...(mtls ? ["--require_client_cert", "true", "--ca_file", certs.ca.certFile] : []),
  ];
  // By IP, with the certificate checked against the override name, as the official interop runs.
  const clientTls = (mtls: boolean) => ({
    ca: certs.ca.cert,
    serverName: OVERRIDE_HOST,
    ...(mtls ? { cert: certs.client.cert, key: certs.client.key } : {}),
  });

  for (const mtls of [false, true]) {
    const kind = mtls ? "mTLS" : "TLS";
    describe(`our client → grpc-js server over ${kind}`, () => {
      let server: Peer;
      let channel: Channel;
      before(async () => {
        server = await startServer("grpc-js server", NODE, ours("grpc-js-server.ts", ...serverArgs(mtls)));
        channel = new Channel(server.target, { tls: clientTls(mtls) });
      }, { timeout: START_TIMEOUT_MS + 5_000 });
      after(async () => {
        await channel?.close();
        await server?.stop();
      }, { timeout: STOP_TIMEOUT_MS + 15_000 });
      for (const name of TLS_CASES) test(name, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
      if (mtls) {
        test("without a client certificate: UNAVAILABLE, TLS handshake failed", { timeout: CASE_TIMEOUT_MS }, async () => {
          await using anonymous = new Channel(server.target, { tls: clientTls(false) });
          await assert.rejects(runCase("empty_unary", anonymous), /UNAVAILABLE: .*TLS handshake with .* failed/);
        });
      }
    });

    describe(`grpc-js client → our server over ${kind}`, () => {
      let server: Peer;
      let client: GrpcJsCases;
      before(async () => {
        server = await startServer("tsgrpc server", NODE, ours("server.ts", ...serverArgs(mtls)));
        client = new GrpcJsCases(server.target, clientTls(mtls));
      }, { timeout: START_TIMEOUT_MS + 5_000 });
      after(async () => {
        client?.close();
        await server?.stop();
      }, { timeout: STOP_TIMEOUT_MS + 15_000 });
      for (const name of TLS_CASES) test(name, { timeout: CASE_TIMEOUT_MS }, () => client.run(name));
      if (mtls) {
        test("a grpc-js client without a certificate is refused (UNAVAILABLE)", { timeout: CASE_TIMEOUT_MS }, async () => {
          const anonymous = new GrpcJsCases(server.target, clientTls(false));
          try {
            await assert.rejects(anonymous.run("empty_unary"), /UNAVAILABLE/);
          } finally {
            anonymous.close();
          }
        });
      }
    });
  }

  describe("the CLIs over mTLS: client.ts and grpc-js-client.ts → server.ts", () => {
    let server: Peer;
    before(async () => {
      server = await startServer("tsgrpc server", NODE, ours("server.ts", ...serverArgs(true)));
    }, { timeout: START_TIMEOUT_MS + 5_000 });
    after(async () => {
      await server?.stop();
    }, { timeout: STOP_TIMEOUT_MS + 15_000 });
    const clientArgs = () => [
      "--server_host", "127.0.0.1", "--server_port", String(server.port), "--test_case", "all",
      "--use_tls", "true", "--use_test_ca", "true", "--ca_file", certs.ca.certFile, "--server_host_override", OVERRIDE_HOST,
      "--cert_file", certs.client.certFile, "--key_file", certs.client.keyFile,
    ];
    for (const program of ["client.ts", "grpc-js-client.ts"]) {
      test(`${program} --use_tls true --use_test_ca true ... --test_case all: 10 passed, 0 failed`, { timeout: CLI_TIMEOUT_MS }, async () => {
        const result = await runCli(NODE, ours(program, ...clientArgs()));
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^10 passed, 0 failed$/m);
      });
    }
  });
});

// ---------------------------------------------------------------------------
// The cases can fail: a server that gets things wrong is caught by both clients.

describe("controls: a misbehaving server fails the cases", () => {
  let server: Server;
  let channel: Channel;
  let grpcJs: GrpcJsCases;
  before(async () => {
    // Wrong payload sizes and counts, response_status ignored, UnimplementedCall served.
    server = new Server().add(TestService, {
      unaryCall: async () => ({ payload: { body: new Uint8Array(1) } }),
      streamingInputCall: async () => ({ aggregatedPayloadSize: 1 }),
      async *streamingOutputCall() {
        yield { payload: { body: new Uint8Array(3) } };
      },
      async *fullDuplexCall(requests) {
        for await (const _ of requests) yield { payload: { body: new Uint8Array(2) } };
      },
      emptyCall: async () => ({}),
      unimplementedCall: async () => ({}),
    });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    channel = new Channel(`127.0.0.1:${port}`);
    grpcJs = new GrpcJsCases(`127.0.0.1:${port}`);
  });
  after(async () => {
    grpcJs?.close();
    await channel?.close();
    await server?.forceClose();
  }, { timeout: STOP_TIMEOUT_MS + 15_000 });

  // empty_stream and unimplemented_service still pass against it: it answers no
  // requests with no responses and serves no UnimplementedService either.
  const failing: Array<CaseName | CompressionCaseName> = [
    ...COMPRESSION_CASE_NAMES,
    "large_unary",
    "client_streaming",
    "server_streaming",
    "ping_pong",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
  ];
  for (const name of failing) {
    test(`${name} fails on our client and on grpc-js`, { timeout: CASE_TIMEOUT_MS }, async () => {
      await assert.rejects(runCase(name, channel));
      await assert.rejects(grpcJs.run(name));
    });
  }
});

// ---------------------------------------------------------------------------
// Python grpcio (the C core) as a peer: Debian's python3-grpcio, run with /usr/bin/python3.

function pythonMissing(): string | undefined {
  for (const file of [PYTHON, "/usr/bin/protoc", "/usr/bin/grpc_python_plugin"]) {
    if (!existsSync(file)) return `${file} not found (apt-get install python3-grpcio protobuf-compiler protobuf-compiler-grpc)`;
  }
  const check = spawnSync(PYTHON, ["-c", "import grpc, google.protobuf"], { encoding: "utf8", timeout: 20_000 });
  if (check.status !== 0) return `${PYTHON} cannot import grpc: ${check.stderr.trim()}`;
  return undefined;
}

const python = (script: string, ...args: string[]) => [`test/interop/python/${script}`, ...args];

// Missing Debian packages fail the suite (`.ci/run` installs them): an interop peer is never skipped.
describe("python grpcio (C core)", () => {
  test("has Debian's python3-grpcio, protoc and grpc_python_plugin", () => {
    assert.equal(pythonMissing(), undefined);
  });
  describe("python client → our server", () => {
    let server: Peer;
    let run: CliResult;
    let lines: Map<string, string>;
    before(async () => {
      server = await startServer("tsgrpc server", NODE, ours("server.ts"));
      run = await runCli(PYTHON, python("client.py", "--server_host", "127.0.0.1", "--server_port", String(server.port), "--test_case", "all"));
      lines = caseLines(run.stdout);
    }, { timeout: START_TIMEOUT_MS + CLI_TIMEOUT_MS });
    after(async () => {
      await server?.stop();
    }, { timeout: STOP_TIMEOUT_MS + 15_000 });

    for (const name of CASE_NAMES) {
      test(name, () => assertCasePassed(lines, name, run.stdout + run.stderr));
    }
    test("the python client exits 0 with 10 passed, 0 failed", () => {
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /^10 passed, 0 failed$/m);
    });
  });

  describe("our client → python server", () => {
    let server: Peer;
    let channel: Channel;
    before(async () => {
      server = await startServer("python server", PYTHON, python("server.py"));
      channel = new Channel(server.target);
    }, { timeout: START_TIMEOUT_MS + 5_000 });
    after(async () => {
      await channel?.close();
      await server?.stop();
    }, { timeout: STOP_TIMEOUT_MS + 15_000 });

    for (const name of CASE_NAMES) {
      test(name, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
    }
    for (const name of EXTRA_CASE_NAMES) {
      test(`extra: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
    }
    for (const name of ["server_compressed_unary", "server_compressed_streaming"] as const) {
      test(`compression: ${name}`, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
    }
  });
  describe("over mutual TLS, both ways", () => {
    const certs = testCerts();
    const serverArgs = [
      "--use_tls", "true", "--cert_file", certs.server.certFile, "--key_file", certs.server.keyFile,
      "--require_client_cert", "true", "--ca_file", certs.ca.certFile,
    ];
    test("python client → our mTLS server: all 10 cases pass", { timeout: START_TIMEOUT_MS + CLI_TIMEOUT_MS }, async () => {
      const server = await startServer("tsgrpc server", NODE, ours("server.ts", ...serverArgs));
      try {
        const run = await runCli(PYTHON, python("client.py", "--server_port", String(server.port), "--test_case", "all",
          "--use_tls", "true", "--use_test_ca", "true", "--ca_file", certs.ca.certFile, "--server_host_override", OVERRIDE_HOST,
          "--cert_file", certs.client.certFile, "--key_file", certs.client.keyFile));
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /^10 passed, 0 failed$/m);
      } finally {
        await server.stop();
      }
    });

    describe("our client → python mTLS server", () => {
      let server: Peer;
      let channel: Channel;
      before(async () => {
        server = await startServer("python server", PYTHON, python("server.py", ...serverArgs));
        channel = new Channel(server.target, { tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key, serverName: OVERRIDE_HOST } });
      }, { timeout: START_TIMEOUT_MS + 5_000 });
      after(async () => {
        await channel?.close();
        await server?.stop();
      }, { timeout: STOP_TIMEOUT_MS + 15_000 });
      for (const name of ["empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "status_code_and_message"] as const) {
        test(name, { timeout: CASE_TIMEOUT_MS }, () => runCase(name, channel));
      }
    });
  });
});

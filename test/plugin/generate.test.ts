/**
 * End-to-end tests of the compiled plugin (dist/plugin/bin.js, so run `npm run
 * build` first; `npm test` does): generate code for test/protos with three
 * generators, compare it with the golden files in test/golden/, type-check it
 * with tsc, run the generated JavaScript against the runtime, and generate and
 * type-check Debian's grpc protos.
 *
 * All generation starts at once in `before()` (at most as many processes as
 * there are cores); each test awaits what it needs. Output goes to a temporary
 * folder (KEEP_GENERATED=1 keeps it). UPDATE_GOLDEN=1 rewrites the golden files.
 */
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import {
  bufGenerate,
  compareGolden,
  debianProtoc,
  grpcFiles,
  grpcProtoDir,
  listFiles,
  makeWorkspace,
  npmProtoc,
  pluginBin,
  protoc,
  protoFiles,
  protosDir,
  removeWorkspace,
  requireBuiltPlugin,
  requireDebianPackages,
  root,
  run,
  typeCheck,
  type RunResult,
} from "./harness.js";

const allProtos = protoFiles(protosDir);
/**
 * Debian's protoc is 3.21, which predates Protobuf Editions: it cannot parse
 * `edition = "2023";` (it reads the file as proto2 and fails on the first
 * statement), so editions/editions.proto is left out of its run.
 */
const debianProtos = allProtos.filter((f) => f !== "editions/editions.proto");

/**
 * The protos of Debian's grpc-proto package we generate and type-check: all of
 * them but two whose imports the package does not ship:
 * - grpc/service_config/service_config.proto imports google/rpc/code.proto;
 * - grpc/tls/provider/meshca/experimental/config.proto imports envoy's protos.
 */
const grpcProtoSkipped = ["grpc/service_config/service_config.proto", "grpc/tls/provider/meshca/experimental/config.proto"];
/** The ones that must be among them. */
const grpcProtoRequired = [
  "grpc/testing/test.proto",
  "grpc/testing/messages.proto",
  "grpc/testing/empty.proto",
  "grpc/health/v1/health.proto",
  "grpc/reflection/v1/reflection.proto",
  "grpc/reflection/v1alpha/reflection.proto",
  "grpc/channelz/v1/channelz.proto",
];

const esTs = "target=ts,import_extension=js";
const esJsDts = "target=js+dts,import_extension=js";

let workspace: string;
const jobs = new Map<string, Promise<RunResult>>();
const limit = limiter(availableParallelism());

/** Starts a job once its inputs are ready; a test awaits it with `job(name)`. */
function start(name: string, fn: () => Promise<RunResult>, inputs: Promise<unknown> = Promise.resolve()): Promise<RunResult> {
  const promise = inputs.then(() => limit(fn));
  promise.catch(() => {}); // reported by the test that awaits it
  jobs.set(name, promise);
  return promise;
}

function job(name: string): Promise<RunResult> {
  const promise = jobs.get(name);
  assert.ok(promise, `no job ${name}`);
  return promise;
}

/** Runs at most `n` functions at a time. */
function limiter(n: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

/** Copies a hand-written file from test/plugin/usage/ into a folder of the workspace. */
function copyUsage(file: string, dir: string): void {
  copyFileSync(join(root, "test/plugin/usage", file), join(workspace, dir, file));
}

before(() => {
  requireBuiltPlugin();
  workspace = makeWorkspace();
  const at = (dir: string) => join(workspace, dir);
  const npm = { protoc: npmProtoc, includes: [protosDir], files: allProtos };

  start("protoc", () => protoc({ ...npm, out: at("protoc"), esOpt: esTs, tsgrpcOpt: "import_extension=js" }));
  start("protoc-debian", async () => {
    requireDebianPackages();
    return protoc({ protoc: debianProtoc, includes: [protosDir], files: debianProtos, out: at("protoc-debian"), esOpt: esTs, tsgrpcOpt: "import_extension=js" });
  });
  start("buf", () => bufGenerate(at("buf"), ["import_extension=js"], ["target=ts", "import_extension=js"]));
  start("protoc-unimplemented", () =>
    protoc({ ...npm, out: at("protoc-unimplemented"), esOpt: esTs, tsgrpcOpt: "import_extension=js,unimplemented=true" }),
  );
  start("protoc-js-dts", () => protoc({ ...npm, out: at("protoc-js-dts"), esOpt: esJsDts, tsgrpcOpt: "target=js+dts,import_extension=js" }));
  start("protoc-js-dts-unimplemented", () =>
    protoc({ ...npm, out: at("protoc-js-dts-unimplemented"), esOpt: esJsDts, tsgrpcOpt: "target=js+dts,import_extension=js,unimplemented=true" }),
  );
  start("grpc-proto", async () => {
    requireDebianPackages();
    const files = protoFiles(grpcProtoDir).filter((f) => !grpcProtoSkipped.includes(f));
    const missing = grpcProtoRequired.filter((f) => !files.includes(f));
    if (missing.length > 0) throw new Error(`Debian's grpc-proto lacks ${missing.join(", ")}`);
    return protoc({ protoc: npmProtoc, includes: [grpcProtoDir], files, out: at("grpc-proto"), esOpt: esTs, tsgrpcOpt: "import_extension=js" });
  });

  // Type checks, as soon as their inputs exist.
  const checked = ["protoc", "protoc-unimplemented", "protoc-js-dts", "protoc-js-dts-unimplemented"];
  const generatedForTypeCheck = Promise.all(checked.map(job)).then(() => {
    copyUsage("greeter.ts", "protoc");
    copyUsage("greeter-unimplemented.ts", "protoc-unimplemented");
    copyUsage("greeter.ts", "protoc-js-dts");
    copyUsage("greeter-unimplemented.ts", "protoc-js-dts-unimplemented");
  });
  for (const config of ["strict", "strictest"] as const) {
    start(`tsc ${config}`, () => typeCheck(workspace, config, checked), generatedForTypeCheck);
    start(`tsc ${config} grpc-proto`, () => typeCheck(workspace, config, ["grpc-proto"]), job("grpc-proto"));
  }
});

after(() => {
  if (workspace !== undefined) removeWorkspace(workspace);
});

function reportTime(t: TestContext, what: string, result: RunResult): void {
  t.diagnostic(`${what}: ${Math.round(result.ms)} ms`);
}

describe("golden files", () => {
  const generators: [name: string, what: string][] = [
    ["protoc", "npm protoc 36.2 + protoc-gen-es + protoc-gen-tsgrpc, target=ts"],
    ["protoc-debian", "Debian protoc 3.21 + protoc-gen-es + protoc-gen-tsgrpc, target=ts, without editions.proto"],
    ["buf", "buf generate (buf.gen.yaml v2, local: [node, dist/plugin/bin.js]) + protoc-gen-es"],
    ["protoc-unimplemented", "npm protoc, unimplemented=true"],
    ["protoc-js-dts", "npm protoc, target=js+dts"],
    ["protoc-js-dts-unimplemented", "npm protoc, target=js+dts,unimplemented=true"],
  ];
  for (const [name, what] of generators) {
    test(`${name}: ${what}`, async (t) => {
      reportTime(t, "generation", await job(name));
      const diff = await compareGolden(name, join(workspace, name));
      if (diff !== undefined) assert.fail(diff);
    });
  }

  test("a file without services, and only it, generates no _grpc file", async () => {
    await job("protoc");
    const withServices = grpcFiles(join(workspace, "protoc")).map((f) => f.replace(/_grpc\.ts$/, ".proto"));
    assert.deepEqual(
      allProtos.filter((f) => !withServices.includes(f)),
      ["common/types.proto", "crosspkg/records.proto", "messages_only/messages_only.proto"],
    );
  });

  test("npm protoc, Debian protoc and buf generate the same code", async () => {
    await Promise.all([job("protoc"), job("protoc-debian"), job("buf")]);
    const read = (dir: string, file: string) => readFileSync(join(workspace, dir, file), "utf8");
    for (const file of grpcFiles(join(workspace, "protoc"))) {
      assert.equal(read("buf", file), read("protoc", file), `buf: ${file}`);
      if (file !== "editions/editions_grpc.ts") assert.equal(read("protoc-debian", file), read("protoc", file), `Debian protoc: ${file}`);
    }
  });
});

describe("type check", () => {
  test("generated code and hand-written usage pass tsc --strict (tsgrpc = runtime/index.ts)", async (t) => {
    reportTime(t, "tsc", await job("tsc strict"));
  });

  test("generated code and hand-written usage pass tsc with exactOptionalPropertyTypes, noUnused*, verbatimModuleSyntax, ...", async (t) => {
    reportTime(t, "tsc", await job("tsc strictest"));
  });
});

describe("Debian grpc-proto", () => {
  test("generates code for /usr/share/grpc-proto and it passes tsc --strict", async (t) => {
    const result = await job("grpc-proto");
    reportTime(t, "generation", result);
    const generated = grpcFiles(join(workspace, "grpc-proto"));
    t.diagnostic(`_grpc files: ${generated.join(", ")}`);
    for (const required of ["grpc/testing/test_grpc.ts", "grpc/health/v1/health_grpc.ts", "grpc/reflection/v1alpha/reflection_grpc.ts", "grpc/channelz/v1/channelz_grpc.ts"]) {
      assert.ok(generated.includes(required), `${required} was not generated`);
    }
    reportTime(t, "tsc", await job("tsc strict grpc-proto"));
  });

  test("its generated code passes the strictest tsc flags", async (t) => {
    reportTime(t, "tsc", await job("tsc strictest grpc-proto"));
  });
});

test("generated JavaScript runs against the runtime: server, clients, unimplemented, renamed members", async () => {
  await Promise.all([job("protoc-js-dts"), job("protoc-js-dts-unimplemented")]);
  copyFileSync(join(root, "test/plugin/usage/run-generated.mjs"), join(workspace, "run-generated.mjs"));
  const { stdout } = await run(process.execPath, ["run-generated.mjs"], { cwd: workspace, timeout: 30_000 });
  assert.match(stdout, /generated JavaScript ran/);
});

test("the compiled plugin runs from any directory", async () => {
  const { stdout } = await run(process.execPath, [pluginBin, "--version"], { cwd: tmpdir() });
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  assert.equal(stdout, `protoc-gen-tsgrpc v${version}\n`);
});

test("timing: protoc-gen-tsgrpc alone on all test protos", async (t) => {
  // After the other jobs, so the figures are not inflated by them.
  await Promise.allSettled(jobs.values());
  const out = join(workspace, "timing");
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const result = await protoc({ protoc: npmProtoc, includes: [protosDir], files: allProtos, out, tsgrpcOpt: "import_extension=js" });
    times.push(result.ms);
  }
  t.diagnostic(`npm protoc + protoc-gen-tsgrpc, ${allProtos.length} files (${listFiles(out).length} generated): ${times.map(Math.round).join(" ms, ")} ms`);
});

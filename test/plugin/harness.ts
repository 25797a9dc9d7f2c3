/**
 * Helpers for the plugin tests: run protoc and buf with protoc-gen-es and the
 * compiled protoc-gen-tsgrpc, compare output with golden files, and type-check
 * generated code with tsc. Everything is written under one temporary folder.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const protosDir = join(root, "test/protos");
export const goldenRoot = join(root, "test/golden");
export const pluginBin = join(root, "dist/plugin/bin.js");
const bin = (name: string) => join(root, "node_modules/.bin", name);
export const npmProtoc = bin("protoc");
export const protocGenEs = bin("protoc-gen-es");
export const buf = bin("buf");
export const tsc = bin("tsc");

/** Debian's protoc 3.21 (package protobuf-compiler) and the grpc protos (package grpc-proto). */
export const debianProtoc = "/usr/bin/protoc";
export const grpcProtoDir = "/usr/share/grpc-proto";

/** The result of a command: its output and how long it ran. */
export interface RunResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command; rejects with its exit code and stderr if it fails or outlives `timeout` ms (default 60 s). */
export function run(command: string, args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<RunResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const execOptions = { cwd: options.cwd, timeout: options.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 };
    execFile(command, args, execOptions, (error, stdout, stderr) => {
      const ms = performance.now() - start;
      if (error) {
        reject(new Error(`${command} ${args.join(" ")} failed (${error.code ?? error.signal}):\n${stderr}${stdout}`));
      } else {
        resolve({ stdout, stderr, ms });
      }
    });
  });
}

/**
 * Throws unless the build output the tests use (the plugin, and the runtime
 * that generated JavaScript imports) exists and the plugin is newer than its
 * sources, with the command that fixes it.
 */
export function requireBuiltPlugin(): void {
  for (const file of [pluginBin, join(root, "dist/runtime/index.js"), join(root, "dist/runtime/index.d.ts")]) {
    if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing: run \`npm run build\` first (npm test does)`);
  }
  const built = statSync(pluginBin).mtimeMs;
  const sources = [...listFiles(join(root, "plugin")).map((f) => join(root, "plugin", f)), join(root, "runtime/service/member-name.ts")];
  const stale = sources.filter((f) => statSync(f).mtimeMs > built);
  if (stale.length > 0) {
    throw new Error(`dist/plugin is older than ${stale.map((f) => relative(root, f)).join(", ")}: run \`npm run build\` first (npm test does)`);
  }
}

/**
 * Throws unless Debian's protoc and grpc protos are installed. The tests that
 * need them fail rather than skip: CI must install them.
 */
export function requireDebianPackages(): void {
  const missing: string[] = [];
  if (!existsSync(debianProtoc)) missing.push(`protobuf-compiler (no ${debianProtoc})`);
  if (!existsSync(join(grpcProtoDir, "grpc/health/v1/health.proto"))) missing.push(`grpc-proto (no ${grpcProtoDir})`);
  if (missing.length > 0) {
    throw new Error(`missing Debian packages: ${missing.join(", ")}. Install them with: apt-get update && apt-get install -y protobuf-compiler grpc-proto`);
  }
}

/** Every file under `dir`, as sorted paths relative to it. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub === "" ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk("");
  return out.sort();
}

/** The .proto files under `dir`, relative to it. */
export function protoFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => f.endsWith(".proto"));
}

/**
 * A temporary folder for generated code that can be imported and type-checked
 * like a user's project: an ES module package (`"type": "module"`, as tsgrpc is
 * ESM only) whose node_modules links to this repository's dependencies and to
 * tsgrpc itself.
 */
export function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-plugin-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "plugin-test", private: true, type: "module" }) + "\n");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(root, "node_modules/@bufbuild"), join(dir, "node_modules/@bufbuild"));
  symlinkSync(join(root, "node_modules/@types"), join(dir, "node_modules/@types"));
  symlinkSync(root, join(dir, "node_modules/tsgrpc"));
  return dir;
}

export function removeWorkspace(dir: string): void {
  if (process.env["KEEP_GENERATED"] === "1") {
    console.log(`generated code kept in ${dir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface ProtocRun {
  protoc: string;
  /** -I folders. */
  includes: string[];
  files: string[];
  out: string;
  /** Options for protoc-gen-tsgrpc. */
  tsgrpcOpt: string;
  /** Options for protoc-gen-es; without it, protoc-gen-es does not run. */
  esOpt?: string;
}

/** Runs protoc with protoc-gen-tsgrpc (and protoc-gen-es), from the output folder, not this repository. */
export async function protoc(r: ProtocRun): Promise<RunResult> {
  mkdirSync(r.out, { recursive: true });
  const args = [
    ...r.includes.map((i) => `-I${i}`),
    `--plugin=protoc-gen-tsgrpc=${pluginBin}`,
    `--tsgrpc_out=${r.out}`,
    `--tsgrpc_opt=${r.tsgrpcOpt}`,
  ];
  if (r.esOpt !== undefined) {
    args.push(`--plugin=protoc-gen-es=${protocGenEs}`, `--es_out=${r.out}`, `--es_opt=${r.esOpt}`);
  }
  return run(r.protoc, [...args, ...r.files], { cwd: r.out });
}

/**
 * Runs `buf generate` on the test protos with a buf.gen.yaml (v2) that runs the
 * compiled plugin as `node dist/plugin/bin.js` and protoc-gen-es. `strategy:
 * all` runs each plugin once, not once per folder.
 */
export async function bufGenerate(out: string, tsgrpcOpt: string[], esOpt: string[]): Promise<RunResult> {
  mkdirSync(out, { recursive: true });
  const template = `${out}.buf.gen.yaml`;
  writeFileSync(
    template,
    [
      "version: v2",
      "plugins:",
      `  - local: ["node", ${JSON.stringify(pluginBin)}]`,
      `    out: ${JSON.stringify(out)}`,
      "    strategy: all",
      `    opt: ${JSON.stringify(tsgrpcOpt)}`,
      `  - local: ${JSON.stringify(protocGenEs)}`,
      `    out: ${JSON.stringify(out)}`,
      "    strategy: all",
      `    opt: ${JSON.stringify(esOpt)}`,
      "",
    ].join("\n"),
  );
  return run(buf, ["generate", protosDir, "--template", template], { cwd: dirname(out) });
}

/** The files protoc-gen-tsgrpc generated under `dir` (not protoc-gen-es's `_pb` files). */
export function grpcFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => /_grpc\.(ts|js|d\.ts)$/.test(f));
}

/**
 * Compares the `_grpc` files under `outDir` with test/golden/<name>/. With
 * UPDATE_GOLDEN=1, rewrites the golden folder instead. Returns a description
 * of the differences (a unified diff), or undefined if there are none.
 */
export async function compareGolden(name: string, outDir: string): Promise<string | undefined> {
  const goldenDir = join(goldenRoot, name);
  const generated = grpcFiles(outDir);
  if (process.env["UPDATE_GOLDEN"] === "1") {
    rmSync(goldenDir, { recursive: true, force: true });
    for (const file of generated) {
      mkdirSync(dirname(join(goldenDir, file)), { recursive: true });
      writeFileSync(join(goldenDir, file), readFileSync(join(outDir, file)));
    }
    return undefined;
  }
  const golden = listFiles(goldenDir);
  const problems: string[] = [];
  for (const file of golden.filter((f) => !generated.includes(f))) problems.push(`not generated: ${file}`);
  for (const file of generated.filter((f) => !golden.includes(f))) problems.push(`generated, but not in the golden files: ${file}`);
  for (const file of generated.filter((f) => golden.includes(f))) {
    const want = readFileSync(join(goldenDir, file), "utf8");
    const got = readFileSync(join(outDir, file), "utf8");
    if (want !== got) problems.push(await unifiedDiff(join(goldenDir, file), join(outDir, file), `test/golden/${name}/${file}`, `generated/${file}`));
  }
  if (problems.length === 0) return undefined;
  return `output differs from test/golden/${name} (run with UPDATE_GOLDEN=1 to accept):\n${problems.join("\n")}`;
}

/** `diff -u` of two files (diff exits with 1 when they differ, which is no error here). */
function unifiedDiff(want: string, got: string, wantLabel: string, gotLabel: string): Promise<string> {
  return new Promise((resolve) => {
    execFile("diff", ["-u", "--label", wantLabel, "--label", gotLabel, want, got], (_error, stdout, stderr) => resolve(stdout + stderr));
  });
}

/** Compiler options shared by every type check: what a Node 20 ESM project uses. */
const baseOptions = {
  target: "ES2022",
  lib: ["ES2022", "ESNext.Disposable", "ESNext.AsyncIterable"],
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ["node"],
};

/**
 * The two ways generated code is type-checked:
 *
 * - `strict`: `--strict`, with "tsgrpc" mapped to runtime/index.ts (the
 *   runtime's source, checked along with the generated code).
 * - `strictest`: every flag a picky project might set, including
 *   exactOptionalPropertyTypes, noUnusedLocals/Parameters, noImplicitOverride
 *   and verbatimModuleSyntax. "tsgrpc" resolves to the built declarations in
 *   dist/runtime, which skipLibCheck leaves alone, so only the generated code
 *   and the hand-written usage code are held to these flags.
 */
export const typeCheckConfigs = {
  strict: { ...baseOptions, paths: { tsgrpc: [join(root, "runtime/index.ts")] } },
  strictest: {
    ...baseOptions,
    exactOptionalPropertyTypes: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noUncheckedIndexedAccess: true,
    noPropertyAccessFromIndexSignature: true,
    noFallthroughCasesInSwitch: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
  },
};

/** Type-checks the .ts files under the given folders of the workspace; rejects with tsc's errors. */
export async function typeCheck(workspace: string, config: keyof typeof typeCheckConfigs, dirs: string[]): Promise<RunResult> {
  const project = join(workspace, `tsconfig.${config}.${dirs.join("+").replace(/[^\w+-]/g, "_")}.json`);
  writeFileSync(
    project,
    JSON.stringify({ compilerOptions: typeCheckConfigs[config], include: dirs.map((d) => `${d}/**/*.ts`) }, null, 2),
  );
  return run(tsc, ["-p", project], { cwd: workspace });
}

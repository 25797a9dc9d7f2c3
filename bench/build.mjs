// Compiles the tsgrpc bench server and client (bench/impl/ours/*.ts and the
// generated examples/gen/bench/v1/*) to bench/build/, so they run under plain
// `node` against the compiled runtime in dist/ — what users run. Needs
// `npm run build` (dist/) and `npm run generate` (examples/gen/) first.
// Also bundles that server, with tsgrpc and @bufbuild/protobuf, into one file
// with esbuild (bench/build/server.bundle.mjs): measured for idle memory only,
// next to the unbundled server (most of a Node process's idle RSS over the
// raw server is the cost of loading ~200 separate ES modules).
import { execFileSync } from "node:child_process";
import { buildSync } from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function newest(dir, ext) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (p.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export function buildBench({ quiet = false } = {}) {
  if (!existsSync(join(root, "examples/gen/bench/v1/echo_grpc.ts"))) {
    throw new Error("examples/gen/bench/v1/echo_grpc.ts is missing: run `npm run build && npm run generate`");
  }
  if (!existsSync(join(root, "dist/runtime/index.js"))) throw new Error("dist/ is missing: run `npm run build`");
  if (newest(join(root, "runtime"), ".ts") > newest(join(root, "dist/runtime"), ".js")) {
    console.error("warning: runtime/ is newer than dist/runtime/: the bench measures dist/, run `npm run build`");
  }
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(root, "bench/tsconfig.json")], {
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
  buildSync({
    entryPoints: [join(root, "bench/build/bench/impl/ours/server.js")],
    outfile: join(root, "bench/build/server.bundle.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    // An optional peer dependency of tsgrpc/otel, which the server does not import.
    external: ["@opentelemetry/api"],
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildBench();

// Generates TypeScript for every .proto under a folder with protoc-gen-es and
// protoc-gen-tsgrpc (the compiled plugin, so run `npm run build` first).
//
//   node scripts/generate.mjs [protoDir=proto] [outDir=examples/gen]
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const protoDir = resolve(process.argv[2] ?? join(root, "proto"));
const outDir = resolve(process.argv[3] ?? join(root, "examples/gen"));

function protoFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? protoFiles(join(dir, e.name)) : e.name.endsWith(".proto") ? [join(dir, e.name)] : [],
  );
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const files = protoFiles(protoDir).map((f) => relative(protoDir, f));
const bin = (name) => join(root, "node_modules/.bin", name);
execFileSync(
  bin("protoc"),
  [
    `-I${protoDir}`,
    `--plugin=protoc-gen-es=${bin("protoc-gen-es")}`,
    `--plugin=protoc-gen-tsgrpc=${join(root, "dist/plugin/bin.js")}`,
    `--es_out=${outDir}`,
    "--es_opt=target=ts,import_extension=js",
    `--tsgrpc_out=${outDir}`,
    "--tsgrpc_opt=target=ts,import_extension=js",
    ...files,
  ],
  { stdio: "inherit" },
);
console.log(`generated ${files.length} file(s) from ${relative(root, protoDir) || "."} into ${relative(root, outDir)}`);

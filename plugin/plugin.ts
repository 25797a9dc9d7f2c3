/**
 * protoc-gen-tsgrpc: the protoc plugin that generates typed gRPC servers and
 * clients for the tsgrpc runtime, next to protoc-gen-es's message code.
 *
 * Options, besides the standard ones of @bufbuild/protoplugin (`target`,
 * `import_extension`, `js_import_style`, `keep_empty_files`, ...):
 *
 * - `target` defaults to `ts` here, not `js+dts`.
 * - `unimplemented=true`: base classes get methods that fail with
 *   UNIMPLEMENTED instead of abstract ones.
 */
import { readFileSync } from "node:fs";
import type { CodeGeneratorRequest } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin, type Plugin } from "./protoplugin.js";
import { generate, type Options } from "./generate.js";

const ecmaScriptPlugin = createEcmaScriptPlugin<Options>({
  name: "protoc-gen-tsgrpc",
  version: `v${packageVersion()}`,
  parseOptions,
  generateTs: (schema) => generate(schema, "ts"),
  generateJs: (schema) => generate(schema, "js"),
  generateDts: (schema) => generate(schema, "dts"),
});

export const plugin: Plugin = {
  name: ecmaScriptPlugin.name,
  version: ecmaScriptPlugin.version,
  run: (request) => ecmaScriptPlugin.run(withDefaultTarget(request)),
};

/**
 * protoplugin defaults to `target=js+dts`; we default to `target=ts`, which
 * needs no transpiling and is what a TypeScript project compiles itself.
 */
function withDefaultTarget(request: CodeGeneratorRequest): CodeGeneratorRequest {
  const keys = request.parameter.split(",").map((option) => option.split("=")[0]);
  if (keys.includes("target")) return request;
  const parameter = request.parameter.length > 0 ? `${request.parameter},target=ts` : "target=ts";
  return { ...request, parameter };
}

function parseOptions(rawOptions: { key: string; value: string }[]): Options {
  const options: Options = { unimplemented: false };
  for (const { key, value } of rawOptions) {
    switch (key) {
      case "unimplemented":
        options.unimplemented = parseBoolean(value);
        break;
      default:
        throw new Error(`unknown option; protoc-gen-tsgrpc accepts unimplemented=true|false besides the standard ones`);
    }
  }
  return options;
}

function parseBoolean(value: string): boolean {
  switch (value) {
    case "":
    case "true":
    case "1":
      return true;
    case "false":
    case "0":
      return false;
    default:
      throw new Error("expected true or false");
  }
}

/** The version in tsgrpc's package.json, found from plugin/ (source) or dist/plugin/ (built). */
function packageVersion(): string {
  for (const path of ["../package.json", "../../package.json"]) {
    let pkg: { name?: unknown; version?: unknown };
    try {
      pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
    } catch {
      continue;
    }
    if (pkg.name === "tsgrpc" && typeof pkg.version === "string") return pkg.version;
  }
  throw new Error("protoc-gen-tsgrpc: cannot find the package.json of tsgrpc");
}

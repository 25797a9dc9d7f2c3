import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Channel, Server, type ServerOptions, type ChannelOptions } from "tsgrpc";
import type { ServiceImplementation } from "tsgrpc";

/** A server on 127.0.0.1 with one service, and a channel to it; `await using` closes both. */
export async function startPair(
  service: ServiceImplementation,
  serverOptions?: ServerOptions,
  channelOptions?: ChannelOptions,
): Promise<{ server: Server; channel: Channel; port: number } & AsyncDisposable> {
  const server = new Server(serverOptions).add(service);
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  const channel = new Channel(`127.0.0.1:${port}`, channelOptions);
  return {
    server,
    channel,
    port,
    async [Symbol.asyncDispose]() {
      await channel.close();
      await server.forceClose();
    },
  };
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, failing after `ms`. */
export async function eventually(check: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * The README examples in a test file, dedented: `// #region readme <name>` ... `// #endregion`. Each runs in its
 * test and is quoted verbatim in README.md (checked by `assertQuotedInReadme`).
 */
export function readmeRegions(testFile: string): Map<string, string> {
  const source = readFileSync(fileURLToPath(testFile), "utf8");
  const found = new Map<string, string>();
  for (const match of source.matchAll(/^( *)\/\/ #region readme (\S+)\n([\s\S]*?)^ *\/\/ #endregion/gm)) {
    const indent = match[1]!.length;
    found.set(match[2]!, match[3]!.split("\n").map((line) => line.slice(indent)).join("\n").trimEnd());
  }
  return found;
}

/** Checks that every README region of `testFile` (`import.meta.url`) is in a ts code block of README.md. */
export function assertQuotedInReadme(testFile: string, names: readonly string[]): void {
  const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const regions = readmeRegions(testFile);
  assert.deepEqual([...regions.keys()].sort(), [...names].sort());
  for (const [name, code] of regions) {
    assert.ok(blocks.some((block) => block.includes(code)), `README.md has no ts block containing the region ${name}:\n${code}`);
  }
}

/** `files` under `includeDir`, compiled by the npm protoc (it knows editions) with their imports, as a registry: no generated code. */
export function compileDescriptors(includeDir: string, files: readonly string[]): FileRegistry {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-descriptors-"));
  try {
    const out = join(dir, "set.binpb");
    const root = fileURLToPath(new URL("../..", import.meta.url));
    execFileSync(join(root, "node_modules/.bin/protoc"), [`-I${includeDir}`, "--include_imports", `--descriptor_set_out=${out}`, ...files]);
    return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

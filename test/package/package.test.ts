// The package as a user gets it: `npm pack`, installed into an empty ESM project, both
// plugins from node_modules/.bin, the generated code compiled with tsc --strict (lib
// checks on), and a call made with the compiled JavaScript on the installed runtime.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tsgrpc-package-"));
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });

const main = `import { Channel, Server, type ServerCall } from "tsgrpc";
import { GreeterBase, GreeterClient } from "./gen/greeter_grpc.js";
import type { HelloRequest } from "./gen/greeter_pb.js";

class Greeter extends GreeterBase {
  async sayHello(request: HelloRequest, _call: ServerCall) {
    return { message: \`hi \${request.name}\` };
  }
  async *lotsOfReplies(request: HelloRequest) {
    for (let i = 0; i < request.count; i++) yield { message: String(i) };
  }
  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    let n = 0;
    for await (const _ of requests) n++;
    return { message: String(n) };
  }
  async *bidiHello(requests: AsyncIterable<HelloRequest>) {
    for await (const request of requests) yield { message: request.name };
  }
}

const server = new Server().add(new Greeter());
const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
const channel = new Channel(\`127.0.0.1:\${port}\`);
const client = new GreeterClient(channel);
const replies: string[] = [];
for await (const r of client.lotsOfReplies({ count: 2 })) replies.push(r.message);
console.log(JSON.stringify([(await client.sayHello({ name: "package" })).message, replies, (await client.lotsOfGreetings([{}, {}, {}])).message]));
await channel.close();
await server.close();
`;

describe("the npm package", () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  it("installs, generates with its own plugins, compiles strictly and serves", () => {
    run("npm", ["pack", "--pack-destination", work, "--loglevel=error"], root);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made no tarball");

    const app = join(work, "app");
    mkdirSync(join(app, "proto"), { recursive: true });
    mkdirSync(join(app, "gen"));
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    copyFileSync(join(root, "proto/greeter/v1/greeter.proto"), join(app, "proto/greeter.proto"));
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(work, tarball), "typescript@5.9.3", "@types/node@20"], app);

    const bin = (name: string) => join(app, "node_modules/.bin", name);
    run(join(root, "node_modules/.bin/protoc"), [
      "-Iproto",
      `--plugin=protoc-gen-es=${bin("protoc-gen-es")}`,
      `--plugin=protoc-gen-tsgrpc=${bin("protoc-gen-tsgrpc")}`,
      "--es_out=gen",
      "--es_opt=target=ts,import_extension=js",
      "--tsgrpc_out=gen",
      "--tsgrpc_opt=import_extension=js",
      "greeter.proto",
    ], app);
    assert.deepEqual(readdirSync(join(app, "gen")).sort(), ["greeter_grpc.ts", "greeter_pb.ts"]);

    writeFileSync(join(app, "main.ts"), main);
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", lib: ["ES2022", "ESNext.Disposable"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out", skipLibCheck: false, types: ["node"] },
        include: ["main.ts", "gen/**/*.ts"],
      }),
    );
    run(bin("tsc"), ["-p", "."], app);
    const out = run(process.execPath, ["out/main.js"], app);
    assert.deepEqual(JSON.parse(out.trim()), ["hi package", ["0", "1"], "3"]);
  });
});

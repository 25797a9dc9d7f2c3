// Our client through nginx (Debian's, as a gRPC proxy and load balancer) to several of our servers: all four kinds.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Channel } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { sleep } from "../runtime/harness.js";
import { startServers, type TestServer } from "./servers.js";

const NGINX = "/usr/sbin/nginx";

/** A port free right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves once something accepts connections on `port`. */
async function accepting(port: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing accepted connections on ${port} within ${ms} ms`);
    await sleep(20);
  }
}

/**
 * nginx in the foreground with everything under a scratch folder: the config of ../shared/NOTES.md
 * (`listen ... http2`, `client_max_body_size 0`, `grpc_pass grpc://upstream`) over `upstreams`.
 */
async function startNginx(upstreams: readonly number[]): Promise<{ port: number; dir: string; child: ChildProcess; stop(): Promise<void> }> {
  assert.ok(existsSync(NGINX), `${NGINX} is missing: scripts/setup.sh installs Debian's nginx`);
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-nginx-"));
  const port = await freePort();
  const conf = `
daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream greeters {
${upstreams.map((p) => `    server 127.0.0.1:${p};`).join("\n")}
  }
  server {
    listen 127.0.0.1:${port} http2;
    client_max_body_size 0;
    location / {
      grpc_pass grpc://greeters;
    }
  }
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const child = spawn(NGINX, ["-c", join(dir, "nginx.conf"), "-p", `${dir}/`, "-e", join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await Promise.race([accepting(port), exited.then(() => Promise.reject(new Error(`nginx exited: ${stderr}`)))]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    port,
    dir,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(3000).then(() => child.kill("SIGKILL"))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("through nginx (grpc_pass to three of our servers)", () => {
  let servers: TestServer[] & AsyncDisposable;
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  let channel: Channel;
  let client: GreeterClient;

  before(async () => {
    servers = await startServers(3);
    nginx = await startNginx(servers.map((s) => s.port));
    channel = new Channel(`127.0.0.1:${nginx.port}`);
    client = new GreeterClient(channel);
  });

  after(async () => {
    await channel?.close();
    await nginx?.stop();
    await servers?.[Symbol.asyncDispose]();
  });

  it("unary, server streaming, client streaming (over 1 MB) and bidi calls all work", async () => {
    assert.match((await client.sayHello({ name: "u" })).message, /^s[012]$/);
    const replies = [];
    for await (const reply of client.lotsOfReplies({ name: "0", count: 5 })) replies.push(reply.message);
    assert.equal(replies.length, 5);
    assert.match(replies[4]!, /^s[012]#5$/);
    const big = "x".repeat(64 * 1024);
    const many = Array.from({ length: 20 }, () => ({ name: big }));
    const summary = (await client.lotsOfGreetings(many)).message;
    assert.equal(summary.length, 3 + 20 * big.length + 19, "every request (1.3 MB in all) reached the server");
    const bidi = [];
    for await (const reply of client.bidiHello([{ name: "a" }, { name: "b" }, { name: "c" }])) bidi.push(reply.message);
    assert.deepEqual(bidi.map((m) => m.slice(3)), ["a", "b", "c"]);
    assert.equal(new Set(bidi.map((m) => m.slice(0, 2))).size, 1, "one bidi call stays on one upstream");
  });

  it("spreads calls over the upstreams, and skips one that is down", async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const { message } = await client.sayHello({ name: "x" });
      counts[message] = (counts[message] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(counts).sort(), ["s0", "s1", "s2"], JSON.stringify(counts));
    for (const label of ["s0", "s1", "s2"]) assert.ok(counts[label]! >= 5, JSON.stringify(counts));
    await servers[1]!.kill();
    const during: Record<string, number> = {};
    for (let i = 0; i < 12; i++) {
      const { message } = await client.sayHello({ name: "x" });
      during[message] = (during[message] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(during).sort(), ["s0", "s2"], JSON.stringify(during));
    const log = readFileSync(join(nginx.dir, "error.log"), "utf8");
    assert.match(log, /Connection refused/, "nginx saw the dead upstream and moved on");
  });
});

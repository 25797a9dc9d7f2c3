// Targets per the gRPC name-resolution doc: parsing, and real connections over each kind.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Channel, ConnectivityState, Server } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { parseTarget } from "../../runtime/client/target.js";
import { LabelledGreeter, startServers } from "./servers.js";

describe("target parsing", () => {
  it("accepts every form of doc/naming.md, with the authority calls carry", () => {
    assert.deepEqual(parseTarget("example.com:50051"), { kind: "dns", host: "example.com", port: 50051, authority: "example.com:50051" });
    assert.deepEqual(parseTarget("dns:///example.com:50051"), { kind: "dns", host: "example.com", port: 50051, authority: "example.com:50051" });
    assert.deepEqual(parseTarget("dns:example.com"), { kind: "dns", host: "example.com", port: 443, authority: "example.com" });
    assert.deepEqual(parseTarget("http://example.com:8080"), { kind: "dns", host: "example.com", port: 8080, authority: "example.com:8080" });
    assert.deepEqual(parseTarget("127.0.0.1:1"), { kind: "static", addresses: [{ host: "127.0.0.1", port: 1 }], authority: "127.0.0.1:1" });
    assert.deepEqual(parseTarget("[::1]:2"), { kind: "static", addresses: [{ host: "::1", port: 2 }], authority: "[::1]:2" });
    assert.deepEqual(parseTarget("ipv4:10.0.0.1:1,10.0.0.2"), {
      kind: "static",
      addresses: [{ host: "10.0.0.1", port: 1 }, { host: "10.0.0.2", port: 443 }],
      authority: "10.0.0.1:1",
    });
    assert.deepEqual(parseTarget("ipv6:[::1]:1,::2"), {
      kind: "static",
      addresses: [{ host: "::1", port: 1 }, { host: "::2", port: 443 }],
      authority: "[::1]:1",
    });
    assert.deepEqual(parseTarget("unix:/tmp/x.sock"), { kind: "static", addresses: [{ path: "/tmp/x.sock" }], authority: "localhost" });
    assert.deepEqual(parseTarget("unix:///tmp/x.sock"), { kind: "static", addresses: [{ path: "/tmp/x.sock" }], authority: "localhost" });
    assert.deepEqual(parseTarget("unix:rel/x.sock"), { kind: "static", addresses: [{ path: "rel/x.sock" }], authority: "localhost" });
  });

  it("rejects malformed targets with an error naming the problem and the accepted forms", () => {
    const cases: [string, RegExp][] = [
      ["", /invalid target "": not host\[:port\]/],
      ["host:port", /invalid target "host:port"/],
      ["host:99999", /invalid target/],
      ["ipv4:", /no addresses/],
      ["ipv4:::1", /is not an IPv4 address/],
      ["ipv4:10.0.0.1:1,nope:2", /"nope" is not an IPv4 address/],
      ["ipv6:10.0.0.1", /is not an IPv6 address/],
      ["unix:", /empty UNIX socket path/],
      ["unix://host/path", /unix:\/\/ must be followed by an absolute path/],
      ["dns://8.8.8.8/example.com:1", /DNS server authority .* is not supported/],
      ["xds:///service", /unknown scheme "xds"/],
      ["a b:1", /invalid target/],
    ];
    for (const [target, message] of cases) {
      assert.throws(() => new Channel(target), { name: "TypeError", message }, target);
      assert.throws(() => new Channel(target), { message: /expected host:port, dns:\/\/\/host:port, ipv4:/ }, target);
    }
  });
});

describe("targets on real connections", () => {
  it("ipv4: with several addresses, dns:///localhost (several resolved addresses) and host:port all reach the server", async () => {
    await using servers = await startServers(1);
    const port = servers[0]!.port;
    // Port 1 refuses: pick_first goes on to the next address.
    for (const target of [`ipv4:127.0.0.1:1,127.0.0.1:${port}`, `dns:///localhost:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]) {
      await using channel = new Channel(target);
      assert.equal((await new GreeterClient(channel).sayHello({ name: "x" })).message, "s0", target);
      assert.equal(channel.state, ConnectivityState.READY);
    }
  });

  it("ipv6: reaches a server on [::1] (when the machine has IPv6 loopback)", async (t) => {
    const server = new Server().add(new LabelledGreeter("v6"));
    let port: number;
    try {
      ({ port } = await server.listen({ host: "::1", port: 0 }));
    } catch {
      // No IPv6 loopback here: the IPv6 parsing is covered above.
      t.diagnostic("no IPv6 loopback on this machine");
      await server.forceClose();
      return;
    }
    try {
      await using channel = new Channel(`ipv6:[::1]:${port}`);
      assert.equal((await new GreeterClient(channel).sayHello({ name: "x" })).message, "v6");
    } finally {
      await server.forceClose();
    }
  });

  it("unix:/path and unix:///path connect over a UNIX socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsgrpc-unix-"));
    const path = join(dir, "grpc.sock");
    const greeter = new LabelledGreeter("unix");
    const server = new Server().add(greeter);
    // The server serves the connections a UNIX socket listener hands it.
    const listener = net.createServer((socket) => server.acceptConnection(socket));
    await new Promise<void>((resolve) => listener.listen(path, resolve));
    try {
      for (const target of [`unix:${path}`, `unix://${path}`]) {
        await using channel = new Channel(target);
        const client = new GreeterClient(channel);
        assert.equal((await client.sayHello({ name: "x" })).message, "unix", target);
        const replies = [];
        for await (const reply of client.lotsOfReplies({ name: "0", count: 3 })) replies.push(reply.message);
        assert.deepEqual(replies, ["unix#1", "unix#2", "unix#3"]);
      }
    } finally {
      await server.forceClose();
      await new Promise((resolve) => listener.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The README's production-setup examples for TLS, UNIX sockets, keepalive and the server options: each
// `// #region readme` below is quoted verbatim in README.md (the first test checks that) and runs here.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Channel, Server, type ServerCall } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme } from "../runtime/harness.js";
import { testCerts } from "./certs.js";

/** Where the README's certificate files are: ca.pem, server.pem/.key, client.pem/.key. */
const dir = testCerts().dir;

describe("README production setup: TLS, sockets, keepalive, limits", () => {
  it("are quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["tls-server", "tls-client", "unix-socket", "keepalive", "server-limits"]);
  });

  it("mutual TLS: the handler greets the client by its certificate's name", async () => {
    // #region readme tls-server
    class WhoAmI extends GreeterService {
      override async sayHello(request: HelloRequest, call: ServerCall) {
        const name = call.peerCertificate?.subject.CN; // verified against tls.ca during the handshake
        return { message: `Hello, ${name ?? request.name}!` };
      }
    }

    const server = new Server({
      tls: {
        key: readFileSync(`${dir}/server.key`),
        cert: readFileSync(`${dir}/server.pem`),
        // Mutual TLS: clients must present a certificate issued by this CA.
        ca: readFileSync(`${dir}/ca.pem`),
        requireClientCert: true,
      },
    }).add(new WhoAmI());
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    // #endregion
    try {
      // #region readme tls-client
      await using channel = new Channel(`127.0.0.1:${port}`, {
        tls: {
          ca: readFileSync(`${dir}/ca.pem`), // default: Node's bundled Mozilla roots
          cert: readFileSync(`${dir}/client.pem`), // only for mutual TLS
          key: readFileSync(`${dir}/client.key`),
          serverName: "localhost", // check the certificate against this name instead of 127.0.0.1
        },
      });
      const reply = await new GreeterClient(channel).sayHello({ name: "anonymous" }); // "Hello, test-client!"
      // #endregion
      assert.equal(reply.message, "Hello, test-client!");
    } finally {
      await server.forceClose();
    }
  });

  it("UNIX socket", async () => {
    // #region readme unix-socket
    const path = join(mkdtempSync(join(tmpdir(), "greeter-")), "greeter.sock");
    const server = new Server().add(new GreeterService());
    await server.listen({ path }); // grpc-js and grpc-go clients: `unix:${path}`

    await using channel = new Channel(`unix:${path}`);
    const reply = await new GreeterClient(channel).sayHello({ name: "socket" });
    // #endregion
    assert.equal(reply.message, "Hello, socket!");
    await channel.close();
    await server.close();
  });

  it("keepalive on both ends", async () => {
    // #region readme keepalive
    const server = new Server({
      keepalive: { timeMs: 60_000, timeoutMs: 10_000 }, // ping each client every minute, drop it after 10 s of silence
      keepaliveEnforcement: { minTimeMs: 20_000, permitWithoutCalls: true }, // clients may ping every 20 s, idle or not
    }).add(new GreeterService());
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });

    await using channel = new Channel(`127.0.0.1:${port}`, {
      keepalive: { timeMs: 30_000, timeoutMs: 10_000, permitWithoutCalls: true },
    });
    // #endregion
    assert.equal((await new GreeterClient(channel).sayHello({ name: "k" })).message, "Hello, k!");
    await channel.close();
    await server.forceClose();
  });

  it("server limits", async () => {
    // #region readme server-limits
    const server = new Server({
      maxConcurrentStreams: 100, // calls per connection; clients queue the rest
      maxConnectionIdleMs: 5 * 60_000, // GOAWAY after 5 minutes without calls
      maxConnectionAgeMs: 30 * 60_000, // GOAWAY after 30 minutes (±10 %), so clients rebalance
      maxConnectionAgeGraceMs: 60_000, // then calls in flight get one more minute
      maxHeaderListSize: 16 * 1024,
      maxReceiveMessageSize: 8 * 1024 * 1024,
      streamWindowSize: 4 * 1024 * 1024, // HTTP/2 flow control, per call
      connectionWindowSize: 4 * 1024 * 1024, // and per connection
    }).add(new GreeterService());
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      await using channel = new Channel(`127.0.0.1:${port}`);
      assert.equal((await new GreeterClient(channel).sayHello({ name: "l" })).message, "Hello, l!");
      assert.equal(channel.session().remoteSettings.maxConcurrentStreams, 100);
      assert.equal(channel.session().remoteSettings.initialWindowSize, 4 * 1024 * 1024);
    } finally {
      await server.forceClose();
    }
  });
});

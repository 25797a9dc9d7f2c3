// TLS and mutual TLS with real certificates made at test time (certs.ts): our client and server
// with each other and with grpc-js both ways, and the failures a user meets (untrusted server,
// wrong name, missing or unknown client certificate, a server without h2) with the messages they get.
import assert from "node:assert/strict";
import * as tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { Channel, GrpcError, Server, Status, type ServerCall } from "tsgrpc";
import * as grpc from "@grpc/grpc-js";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { grpcJsGreeterClient } from "../services/grpc-js-greeter.js";
import { OVERRIDE_HOST, testCerts } from "./certs.js";
import { startGrpcJsGreeter } from "./grpc-js-greeter-server.js";

const certs = testCerts();

/** Greeter that records each caller's certificate CN ("" without one) and peer. */
class Recording extends GreeterService {
  readonly clients: string[] = [];
  override async sayHello(request: HelloRequest, call: ServerCall) {
    this.clients.push(String(call.peerCertificate?.subject.CN ?? ""));
    return super.sayHello(request, call);
  }
}

/** A grpc-js unary SayHello. */
function grpcJsHello(client: grpc.Client & Record<string, Function>, name: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.SayHello({ name }, { deadline: Date.now() + 5_000 }, (error: grpc.ServiceError | null, reply: { message: string }) =>
      error ? reject(error) : resolve(reply.message),
    ),
  );
}

async function assertUnavailable(call: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof GrpcError, String(error));
    assert.equal(error.code, Status.UNAVAILABLE, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe("TLS: our client and our server", () => {
  let server: Server;
  let greeter: Recording;
  let port: number;
  before(async () => {
    greeter = new Recording();
    server = new Server({ tls: { key: certs.server.key, cert: certs.server.cert } }).add(greeter);
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  after(() => server.forceClose());

  it("calls work over TLS (tls option), with ALPN h2, and the server sees no client certificate", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.ca.cert } });
    const reply = await new GreeterClient(channel).sayHello({ name: "tls" });
    assert.equal(reply.message, "Hello, tls!");
    const socket = channel.session().socket as tls.TLSSocket;
    assert.equal(socket.alpnProtocol, "h2");
    assert.equal(socket.encrypted, true);
    assert.deepEqual(greeter.clients.at(-1), "");
  });

  it("an https:// target means TLS; localhost matches the certificate's name", async () => {
    await using channel = new Channel(`https://localhost:${port}`, { tls: { ca: certs.ca.cert } });
    const replies = [];
    for await (const reply of new GreeterClient(channel).lotsOfReplies({ name: "s", count: 3 })) replies.push(reply.message);
    assert.equal(replies.length, 3);
  });

  it("serverName overrides the name the certificate is checked against", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.ca.cert, serverName: OVERRIDE_HOST } });
    assert.equal((await new GreeterClient(channel).sayHello({ name: "o" })).message, "Hello, o!");
  });

  it("an untrusted server certificate fails with UNAVAILABLE naming the TLS failure", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.otherCa.cert } });
    await assertUnavailable(
      new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }),
      new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${port} failed: .*(self.signed|unable to verify|local issuer)`, "i"),
    );
  });

  it("Node's default roots do not include the test CA: UNAVAILABLE, TLS handshake failed", async () => {
    await using channel = new Channel(`https://127.0.0.1:${port}`);
    await assertUnavailable(new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }), /TLS handshake .* failed/);
  });

  it("a server name the certificate does not carry fails", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.ca.cert, serverName: "wrong.example" } });
    await assertUnavailable(new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }), /TLS handshake .* failed: .*wrong\.example/);
  });

  it("a plain-text client gets UNAVAILABLE from a TLS server, not a hang", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`);
    await assertUnavailable(
      new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }),
      new RegExp(`the server at 127\\.0\\.0\\.1:${port} closed the connection before HTTP/2 started \\(a TLS server\\?`),
    );
  });

  it("a TLS client gets UNAVAILABLE from a plain-text server", async () => {
    await using plain = new Server().add(new GreeterService());
    const { port: plainPort } = await plain.listen({ host: "127.0.0.1", port: 0 });
    await using channel = new Channel(`127.0.0.1:${plainPort}`, { tls: { ca: certs.ca.cert } });
    await assertUnavailable(new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }), /TLS handshake .* failed/);
  });

  it("a TLS server that does not pick h2 by ALPN is refused", async () => {
    const http1 = tls.createServer({ key: certs.server.key, cert: certs.server.cert }, (socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => http1.listen(0, "127.0.0.1", resolve));
    try {
      const { port: http1Port } = http1.address() as { port: number };
      await using channel = new Channel(`127.0.0.1:${http1Port}`, { tls: { ca: certs.ca.cert } });
      await assertUnavailable(new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }), /did not agree to HTTP\/2 \(ALPN h2/);
    } finally {
      http1.close();
    }
  });
});

describe("mutual TLS: our client and our server", () => {
  let server: Server;
  let greeter: Recording;
  let port: number;
  before(async () => {
    greeter = new Recording();
    server = new Server({ tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca.cert, requireClientCert: true } }).add(greeter);
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  after(() => server.forceClose());

  it("a client with a certificate from the server's CA gets in; the handler reads call.peerCertificate", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key } });
    assert.equal((await new GreeterClient(channel).sayHello({ name: "m" })).message, "Hello, m!");
    assert.equal(greeter.clients.at(-1), "test-client");
  });

  it("a client without a certificate is refused: UNAVAILABLE, TLS handshake failed (certificate required)", async () => {
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.ca.cert } });
    await assertUnavailable(new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }), /TLS handshake .* failed: .*certificate required/i);
  });

  it("a client certificate from another CA is refused", async () => {
    const { cert, key } = certs.strangerClient;
    await using channel = new Channel(`127.0.0.1:${port}`, { tls: { ca: certs.ca.cert, cert, key } });
    await assertUnavailable(new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 }), /TLS handshake .* failed: .*(unknown ca|certificate)/i);
    assert.ok(!greeter.clients.includes("stranger"));
  });
});

describe("TLS with grpc-js", () => {
  it("grpc-js client → our TLS server (createSsl with the CA)", async () => {
    const greeter = new Recording();
    await using server = new Server({ tls: { key: certs.server.key, cert: certs.server.cert } }).add(greeter);
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = grpcJsGreeterClient(`localhost:${port}`, {}, grpc.credentials.createSsl(certs.ca.cert));
    try {
      assert.equal(await grpcJsHello(client, "js"), "Hello, js!");
    } finally {
      client.close();
    }
    assert.deepEqual(greeter.clients, [""]);
  });

  it("grpc-js client → our mTLS server: its certificate reaches call.peerCertificate; without one it is refused", async () => {
    const greeter = new Recording();
    await using server = new Server({ tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca.cert, requireClientCert: true } }).add(greeter);
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const withCert = grpcJsGreeterClient(`localhost:${port}`, {}, grpc.credentials.createSsl(certs.ca.cert, certs.client.key, certs.client.cert));
    const without = grpcJsGreeterClient(`localhost:${port}`, {}, grpc.credentials.createSsl(certs.ca.cert));
    try {
      assert.equal(await grpcJsHello(withCert, "js"), "Hello, js!");
      await assert.rejects(grpcJsHello(without, "x"), (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE);
    } finally {
      withCert.close();
      without.close();
    }
    assert.deepEqual(greeter.clients, ["test-client"]);
  });

  it("our client → grpc-js TLS server (ServerCredentials.createSsl), by IP with serverName and by name", async () => {
    await using peer = await startGrpcJsGreeter(grpc.ServerCredentials.createSsl(null, [{ private_key: certs.server.key, cert_chain: certs.server.cert }]));
    await using byIp = new Channel(`127.0.0.1:${peer.port}`, { tls: { ca: certs.ca.cert, serverName: OVERRIDE_HOST } });
    assert.equal((await new GreeterClient(byIp).sayHello({ name: "ip" })).message, "Hello, ip!");
    await using byName = new Channel(`https://localhost:${peer.port}`, { tls: { ca: certs.ca.cert } });
    assert.equal((await new GreeterClient(byName).sayHello({ name: "name" })).message, "Hello, name!");
  });

  it("our client → grpc-js mTLS server (checkClientCertificate): with our certificate it gets in, without it UNAVAILABLE", async () => {
    const credentials = grpc.ServerCredentials.createSsl(certs.ca.cert, [{ private_key: certs.server.key, cert_chain: certs.server.cert }], true);
    await using peer = await startGrpcJsGreeter(credentials);
    await using withCert = new Channel(`127.0.0.1:${peer.port}`, { tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key } });
    assert.equal((await new GreeterClient(withCert).sayHello({ name: "m" })).message, "Hello, m!");
    assert.deepEqual(peer.seenClients, ["test-client"]);
    await using without = new Channel(`127.0.0.1:${peer.port}`, { tls: { ca: certs.ca.cert } });
    await assertUnavailable(new GreeterClient(without).sayHello({ name: "x" }, { timeout: 5_000 }), /TLS handshake .* failed/);
  });
});

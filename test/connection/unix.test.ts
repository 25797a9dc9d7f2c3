// Serving on a UNIX domain socket: grpc-js (`unix:/path`), our Channel (`unix:` targets, plain and TLS, and
// `createConnection`), and connect.ts's `{ path }` address.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Channel, Server, type ServerCall } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { connect } from "../../runtime/client/connect.js";
import { grpcJsGreeterClient } from "../services/grpc-js-greeter.js";
import { testCerts } from "./certs.js";

const dir = mkdtempSync(join(tmpdir(), "tsgrpc-unix-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let sockets = 0;
const socketPath = () => join(dir, `s${++sockets}.sock`);

class Peers extends GreeterService {
  readonly peers: string[] = [];
  override async sayHello(request: HelloRequest, call: ServerCall) {
    this.peers.push(call.peer);
    return super.sayHello(request, call);
  }
}

describe("server.listen({ path })", () => {
  it("serves our Channel (createConnection) and grpc-js (unix:/path); call.peer is unix:; close() removes the file", async () => {
    const path = socketPath();
    const greeter = new Peers();
    const server = new Server().add(greeter);
    assert.deepEqual(await server.listen({ path }), { path });
    try {
      await using channel = new Channel("localhost:0", { createConnection: () => net.connect(path) });
      const client = new GreeterClient(channel);
      assert.equal((await client.sayHello({ name: "unix" })).message, "Hello, unix!");
      const replies = [];
      for await (const reply of client.lotsOfReplies({ name: "s", count: 2 })) replies.push(reply.message);
      assert.equal(replies.length, 2);

      const js = grpcJsGreeterClient(`unix:${path}`);
      try {
        const message = await new Promise<string>((resolve, reject) =>
          js.SayHello({ name: "js" }, (error: Error | null, reply: { message: string }) => (error ? reject(error) : resolve(reply.message))),
        );
        assert.equal(message, "Hello, js!");
      } finally {
        js.close();
      }
      assert.deepEqual(greeter.peers, ["unix:", "unix:"]);
    } finally {
      await server.close();
    }
    assert.equal(existsSync(path), false);
  });

  it("our Channel with a unix: target, plain text and TLS (the certificate checked against localhost)", async () => {
    const certs = testCerts();
    for (const tls of [undefined, { key: certs.server.key, cert: certs.server.cert }]) {
      const path = socketPath();
      await using server = new Server(tls === undefined ? {} : { tls }).add(new GreeterService());
      await server.listen({ path });
      await using channel = new Channel(`unix:${path}`, tls === undefined ? {} : { tls: { ca: certs.ca.cert } });
      assert.equal((await new GreeterClient(channel).sayHello({ name: "u" })).message, "Hello, u!");
    }
  });

  it("a path that is in use is refused", async () => {
    const path = socketPath();
    await using first = new Server();
    await first.listen({ path });
    await using second = new Server();
    await assert.rejects(second.listen({ path }), /EADDRINUSE/);
  });

  it("connect.ts takes a { path } address, plain or TLS (what `unix:` targets will use)", async () => {
    const certs = testCerts();
    for (const tls of [undefined, { key: certs.server.key, cert: certs.server.cert }]) {
      const path = socketPath();
      await using server = new Server(tls === undefined ? {} : { tls }).add(new GreeterService());
      await server.listen({ path });
      const session = connect({ path }, { session: {}, tls: tls === undefined ? undefined : { ca: certs.ca.cert } });
      try {
        const status = await new Promise<string | undefined>((resolve, reject) => {
          const stream = session.request({ ":method": "POST", ":path": "/no.Such/Method", "content-type": "application/grpc", te: "trailers" });
          stream.on("response", (headers) => resolve(headers["grpc-status"] as string | undefined));
          stream.on("error", reject);
          stream.end();
        });
        assert.equal(status, "12", "UNIMPLEMENTED, answered over the socket");
      } finally {
        session.destroy();
      }
    }
  });
});

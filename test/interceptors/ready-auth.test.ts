// The ready-made bearer-token interceptors, client and server, over real HTTP/2; and the README's
// auth + logging setup (`// #region readme` below, quoted verbatim in README.md).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Channel,
  GrpcError,
  HealthClient,
  HealthService,
  Server,
  Status,
  bearerAuth,
  bearerToken,
  clientLogging,
  contextKey,
  defaultDeadline,
  serverLogging,
  type CallLogRecord,
  type Logger,
  type ServerCall,
} from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme, startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

interface User {
  name: string;
  admin: boolean;
}

/** A logger that keeps what it is given, by level. */
function capturingLogger(): Logger & { records: { level: string; record: CallLogRecord; message: string | undefined }[] } {
  const records: { level: string; record: CallLogRecord; message: string | undefined }[] = [];
  const keep = (level: string) => (record: object, message?: string) => records.push({ level, record: record as CallLogRecord, message });
  return { records, info: keep("info"), warn: keep("warn"), error: keep("error") };
}

const tokens = new Map<string, User>([
  ["ada-token", { name: "ada", admin: true }],
  ["bob-token", { name: "bob", admin: false }],
]);

/** Who the handler found in the call's context, on all four kinds. */
class WhoAmI extends RecordingGreeter {
  static readonly key = contextKey<User>("user");
  override async sayHello(request: HelloRequest, call: ServerCall) {
    await super.sayHello(request, call);
    return { message: `hi ${call.context.require(WhoAmI.key).name}` };
  }
}

describe("bearerToken (client)", () => {
  it("sends authorization: Bearer <token> on every call, from a string or a function called per call", async () => {
    const service = new RecordingGreeter();
    let n = 0;
    await using pair = await startPair(service, undefined, { interceptors: [bearerToken(async () => `t${++n}`)] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "a" });
    await texts(client.lotsOfReplies({ name: "b", count: 1 }));
    await client.lotsOfGreetings([{ name: "c" }]);
    await texts(client.bidiHello([{ name: "d" }]));
    assert.deepEqual(service.calls.map((c) => c.metadata.get("authorization")), ["Bearer t1", "Bearer t2", "Bearer t3", "Bearer t4"]);

    const fixed = new GreeterClient(pair.channel, { interceptors: [bearerToken("fixed")] });
    await fixed.sayHello({ name: "e" });
    // The call's own interceptor runs inside the channel's, so its token is the one sent.
    assert.equal(service.calls.at(-1)!.metadata.get("authorization"), "Bearer fixed");
  });

  it("fails the call with UNAUTHENTICATED, before sending anything, when the token cannot be had", async () => {
    const service = new RecordingGreeter();
    const broken = bearerToken(() => {
      throw new Error("token endpoint down");
    });
    await using pair = await startPair(service, undefined, { interceptors: [broken] });
    const client = new GreeterClient(pair.channel);
    await assert.rejects(client.sayHello({ name: "a" }), { code: Status.UNAUTHENTICATED, rawMessage: "could not get the bearer token: token endpoint down" });
    await assert.rejects(texts(client.bidiHello([{ name: "b" }])), { code: Status.UNAUTHENTICATED });
    // A GrpcError from the token source keeps its status.
    await using other = new Channel(`127.0.0.1:${pair.port}`, {
      interceptors: [bearerToken(() => Promise.reject(new GrpcError(Status.UNAVAILABLE, "vault sealed")))],
    });
    await assert.rejects(new GreeterClient(other).sayHello({ name: "c" }), { code: Status.UNAVAILABLE, rawMessage: "vault sealed" });
    assert.equal(service.handled, 0);
  });
});

describe("bearerAuth (server)", () => {
  const auth = bearerAuth({
    key: WhoAmI.key,
    verify: (token) => tokens.get(token),
    authorize: (user, call) => user.admin || call.method.methodKind === "unary",
  });

  it("rejects calls without a valid bearer token with UNAUTHENTICATED, on all four kinds, before the handler runs", async () => {
    const service = new WhoAmI();
    await using pair = await startPair(service, { interceptors: [auth] });
    const cases: [Record<string, string> | undefined, string][] = [
      [undefined, "missing bearer token: no authorization header"],
      [{ authorization: "Basic YWRhOnB3" }, "malformed authorization header: expected one `Bearer <token>`"],
      [{ authorization: "Bearer" }, "malformed authorization header: expected one `Bearer <token>`"],
      [{ authorization: "Bearer two words" }, "malformed authorization header: expected one `Bearer <token>`"],
      [{ authorization: "Bearer nobody-token" }, "invalid bearer token"],
    ];
    for (const [metadata, message] of cases) {
      const client = new GreeterClient(pair.channel, metadata === undefined ? undefined : { metadata });
      const denied = { code: Status.UNAUTHENTICATED, rawMessage: message };
      await assert.rejects(client.sayHello({ name: "a" }), denied);
      await assert.rejects(texts(client.lotsOfReplies({ name: "b", count: 1 })), denied);
      await assert.rejects(client.lotsOfGreetings([{ name: "c" }]), denied);
      await assert.rejects(texts(client.bidiHello([{ name: "d" }])), denied);
    }
    assert.equal(service.handled, 0);
    assert.deepEqual(service.requestsSeen, []);
  });

  it("gives the handler the typed principal; authorize false gives PERMISSION_DENIED", async () => {
    const service = new WhoAmI();
    await using pair = await startPair(service, { interceptors: [auth] });
    const ada = new GreeterClient(pair.channel, { interceptors: [bearerToken("ada-token")] });
    const bob = new GreeterClient(pair.channel, { interceptors: [bearerToken("bob-token")] });
    assert.equal((await ada.sayHello({ name: "x" })).message, "hi ada");
    assert.equal((await bob.sayHello({ name: "x" })).message, "hi bob");
    // The scheme is case-insensitive (RFC 7235).
    assert.equal((await new GreeterClient(pair.channel, { metadata: { authorization: "bearer bob-token" } }).sayHello({ name: "x" })).message, "hi bob");
    assert.deepEqual(await texts(ada.bidiHello([{ name: "y" }])), ["echo y"]);
    const denied = { code: Status.PERMISSION_DENIED, rawMessage: "permission denied for /greeter.v1.Greeter/BidiHello" };
    await assert.rejects(texts(bob.bidiHello([{ name: "z" }])), denied);
    await assert.rejects(bob.lotsOfGreetings([{ name: "z" }]), { code: Status.PERMISSION_DENIED });
    assert.equal(service.handled, 4);
    assert.deepEqual(service.requestsSeen, ["x", "x", "x", "y"]);
  });

  it("turns a throwing verify into UNAUTHENTICATED without its message, keeps a GrpcError, and lets skipped paths through", async () => {
    const service = new WhoAmI();
    const strict = bearerAuth({
      key: WhoAmI.key,
      verify: (token) => {
        if (token === "down") throw new GrpcError(Status.UNAVAILABLE, "key server unreachable");
        throw new Error("signature expired at 12:00 with key k1");
      },
      skip: (path) => path.startsWith("/grpc.health.v1."),
    });
    const server = new Server({ interceptors: [strict] }).add(service);
    server.add(new HealthService(server));
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    await using channel = new Channel(`127.0.0.1:${port}`);
    try {
      const client = new GreeterClient(channel, { metadata: { authorization: "Bearer any" } });
      await assert.rejects(client.sayHello({ name: "a" }), { code: Status.UNAUTHENTICATED, rawMessage: "invalid bearer token" });
      const down = new GreeterClient(channel, { metadata: { authorization: "Bearer down" } });
      await assert.rejects(down.sayHello({ name: "a" }), { code: Status.UNAVAILABLE, rawMessage: "key server unreachable" });
      assert.equal((await new HealthClient(channel).check({ service: "" })).status, 1);
      assert.equal(service.handled, 0);
    } finally {
      await server.forceClose();
    }
  });
});

describe("README: auth and logging", () => {
  it("are quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["ready-server", "ready-client"]);
  });

  it("serve and call with bearer auth, logging and a default deadline", async () => {
    const logger = capturingLogger();
    const users = tokens;
    // #region readme ready-server
    const userKey = contextKey<User>("user"); // User: your type, e.g. { name: string; admin: boolean }

    class Greeter extends GreeterService {
      override async sayHello(request: HelloRequest, call: ServerCall) {
        const user = call.context.require(userKey); // typed: User
        return { message: `Hello, ${request.name}, from ${user.name}!` };
      }
    }

    const server = new Server({
      interceptors: [
        serverLogging({ logger, metadata: ["x-request-id"] }), // first = outermost: rejected calls are logged too
        bearerAuth({
          key: userKey,
          verify: (token) => users.get(token), // undefined (or a throw): UNAUTHENTICATED
          authorize: (user, call) => user.admin || call.method.methodKind === "unary", // false: PERMISSION_DENIED
          skip: (path) => path.startsWith("/grpc.health.v1."), // health checks need no token
        }),
      ],
    }).add(new Greeter());
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const logger = capturingLogger(); // the client's
      // #region readme ready-client
      const channel = new Channel(`127.0.0.1:${port}`, {
        interceptors: [
          clientLogging({ logger }),
          defaultDeadline(5_000), // calls without a timeout or deadline get 5 s
          bearerToken(async () => "bob-token"), // or a string; a function is called for each call
        ],
      });
      const greeter = new GreeterClient(channel);
      const reply = await greeter.sayHello({ name: "Ada" }, { metadata: { "x-request-id": "r-1" } });
      assert.equal(reply.message, "Hello, Ada, from bob!");
      await assert.rejects(greeter.lotsOfGreetings([{ name: "Ada" }]), { code: Status.PERMISSION_DENIED });
      // #endregion
      await channel.close();
      assert.deepEqual(
        logger.records.map((r) => [r.level, r.record.side, r.record.method, r.record.codeName]),
        [
          ["info", "client", "SayHello", "OK"],
          ["warn", "client", "LotsOfGreetings", "PERMISSION_DENIED"],
        ],
      );
    } finally {
      await server.forceClose();
    }
    assert.deepEqual(
      logger.records.map((r) => [r.level, r.record.side, r.record.method, r.record.codeName, r.record.metadata]),
      [
        ["info", "server", "SayHello", "OK", { "x-request-id": "r-1" }],
        ["warn", "server", "LotsOfGreetings", "PERMISSION_DENIED", {}],
      ],
    );
  });
});

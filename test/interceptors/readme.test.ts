// The README's examples for interceptors and events: each `// #region readme` below is quoted verbatim in
// README.md (the first test checks that), and runs here.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Channel,
  GrpcError,
  RecvRequest,
  SendRequest,
  Server,
  Status,
  contextKey,
  listen,
  type AnyHandler,
  type ClientInterceptor,
  type ServerCall,
  type ServerInterceptor,
} from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme } from "../runtime/harness.js";

describe("README: interceptors and events", () => {
  it("are quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["client-interceptor", "server-interceptor", "client-events", "server-events"]);
  });

  it("client and server interceptors", async () => {
    const log: string[] = [];
    // #region readme server-interceptor
    const tenantKey = contextKey<string>("tenant");

    // Rejects calls without a tenant before any handler runs; hands the tenant to the handler.
    const tenants: ServerInterceptor = (next) =>
      async function* (call, requests) {
        const tenant = call.metadata.get("x-tenant");
        if (tenant === undefined) throw new GrpcError(Status.UNAUTHENTICATED, "x-tenant is required");
        call.context.set(tenantKey, tenant);
        yield* next(call, requests);
      };

    class TenantGreeter extends GreeterService {
      override async sayHello(request: HelloRequest, call: ServerCall) {
        return { message: `Hello, ${request.name} of ${call.context.get(tenantKey)}!` };
      }
    }

    const server = new Server({ interceptors: [tenants] }).add(new TenantGreeter());
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      // #region readme client-interceptor
      // Adds metadata, then logs each call's outcome when its responses have been read to the end.
      const logging: ClientInterceptor = (next) => async (request) => {
        request.metadata.set("x-tenant", "acme");
        const started = performance.now();
        const response = await next(request);
        const messages = response.messages;
        return {
          ...response,
          messages: (async function* () {
            let outcome = "OK";
            try {
              yield* messages;
            } catch (error) {
              outcome = String(error);
              throw error;
            } finally {
              log.push(`${request.path} ${outcome} in ${(performance.now() - started).toFixed(1)} ms`);
            }
          })(),
        };
      };

      const channel = new Channel(`127.0.0.1:${port}`, { interceptors: [logging] });
      const client = new GreeterClient(channel);
      const reply = await client.sayHello({ name: "Ada" });
      // #endregion
      assert.equal(reply.message, "Hello, Ada of acme!");
      assert.match(log[0]!, /^\/greeter\.v1\.Greeter\/SayHello OK in \d+\.\d ms$/);
      await assert.rejects(new GreeterClient(new Channel(`127.0.0.1:${port}`)).sayHello({ name: "x" }), {
        code: Status.UNAUTHENTICATED,
      });
      await channel.close();
    } finally {
      await server.forceClose();
    }
  });

  it("events", async () => {
    const SECRET = "s3cret";
    // #region readme server-events
    const server = new Server().add(new GreeterService());

    const authnError: AnyHandler = async () => {
      throw new GrpcError(Status.UNAUTHENTICATED, "bad token");
    };

    listen(server, RecvRequest, (event) => {
      if (event.metadata.get("auth-token") !== SECRET) {
        event.methodFunc = authnError; // runs instead of the method's handler
        event.interrupt(); // the listeners after this one do not see the event
      }
    });
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      // #region readme client-events
      const channel = new Channel(`127.0.0.1:${port}`);
      listen(channel, SendRequest, (event) => {
        event.metadata.set("auth-token", SECRET);
      });
      const reply = await new GreeterClient(channel).sayHello({ name: "Grace" });
      // #endregion
      assert.equal(reply.message, "Hello, Grace!");
      await assert.rejects(new GreeterClient(new Channel(`127.0.0.1:${port}`)).sayHello({ name: "x" }), { code: Status.UNAUTHENTICATED });
      await channel.close();
    } finally {
      await server.forceClose();
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema, anyPack, type Any } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import {
  BadRequestSchema,
  Channel,
  ErrorInfoSchema,
  GrpcError,
  RetryInfoSchema,
  RpcStatusSchema,
  Status,
  errorDetail,
  errorDetails,
} from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { HelloRequestSchema } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { startPair } from "./harness.js";

const unknownDetail: Any = create(AnySchema, { typeUrl: "type.googleapis.com/acme.Mystery", value: new Uint8Array([8, 1]) });

/** Fails every unary call with a status carrying rich details. */
class FailingGreeter extends GreeterBase {
  async sayHello(): Promise<never> {
    throw new GrpcError(Status.INVALID_ARGUMENT, "name is required", {
      details: [
        errorDetails.badRequest({ fieldViolations: [{ field: "name", description: "must not be empty" }] }),
        errorDetails.errorInfo({ reason: "EMPTY_NAME", domain: "greeter.example", metadata: { hint: "set a name" } }),
        errorDetails.retryInfo({ retryDelay: { seconds: 2n } }),
        errorDetail(HelloRequestSchema, { name: "a user's own message type" }),
        unknownDetail,
      ],
    });
  }
  async *lotsOfReplies() {}
  async lotsOfGreetings() {
    return {};
  }
  async *bidiHello() {}
}

function checkDetails(error: unknown): void {
  assert.ok(error instanceof GrpcError, String(error));
  assert.equal(error.code, Status.INVALID_ARGUMENT);
  assert.equal(error.findDetail(BadRequestSchema)?.fieldViolations[0]?.field, "name");
  assert.equal(error.findDetail(ErrorInfoSchema)?.metadata["hint"], "set a name");
  assert.equal(error.findDetail(RetryInfoSchema)?.retryDelay?.seconds, 2n);
  // A user's own type is unpacked with its schema, on demand.
  assert.equal(error.findDetail(HelloRequestSchema)?.name, "a user's own message type");
  // `details` decodes the standard types and keeps the rest raw.
  const typeNames = error.details.map((d) => d.$typeName);
  assert.deepEqual(typeNames, ["google.rpc.BadRequest", "google.rpc.ErrorInfo", "google.rpc.RetryInfo", "google.protobuf.Any", "google.protobuf.Any"]);
  const raw = error.details[4] as Any;
  assert.equal(raw.typeUrl, "type.googleapis.com/acme.Mystery");
  assert.deepEqual([...raw.value], [8, 1]);
}

describe("rich error details", () => {
  it("travel from our server to our client", async () => {
    await using pair = await startPair(new FailingGreeter());
    checkDetails(await new GreeterClient(pair.channel).sayHello({}).catch((e: unknown) => e));
  });

  it("reach a grpc-js client as a google.rpc.Status in grpc-status-details-bin", async () => {
    await using pair = await startPair(new FailingGreeter());
    const client = new grpc.Client(`127.0.0.1:${pair.port}`, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest(
          "/greeter.v1.Greeter/SayHello",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (e) => resolve(e!),
        ),
      );
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      const [bytes] = error.metadata.get("grpc-status-details-bin") as Buffer[];
      const status = fromBinary(RpcStatusSchema, bytes!);
      assert.equal(status.code, Status.INVALID_ARGUMENT);
      assert.equal(status.message, "name is required");
      assert.equal(status.details.length, 5);
      assert.equal(status.details[0]?.typeUrl, "type.googleapis.com/google.rpc.BadRequest");
    } finally {
      client.close();
    }
  });

  it("are read from a grpc-js server's grpc-status-details-bin", async () => {
    const server = new grpc.Server();
    const status = create(RpcStatusSchema, {
      code: Status.FAILED_PRECONDITION,
      message: "not yet",
      details: [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "FROM_GRPC_JS" })), unknownDetail],
    });
    server.register(
      "/greeter.v1.Greeter/SayHello",
      (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const metadata = new grpc.Metadata();
        metadata.set("grpc-status-details-bin", Buffer.from(toBinary(RpcStatusSchema, status)));
        callback({ code: grpc.status.FAILED_PRECONDITION, details: "not yet", metadata });
      },
      (b: Buffer) => b,
      (b: Buffer) => b,
      "unary",
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      await using channel = new Channel(`127.0.0.1:${port}`);
      const error = await new GreeterClient(channel).sayHello({}).catch((e: unknown) => e);
      assert.ok(error instanceof GrpcError);
      assert.equal(error.code, Status.FAILED_PRECONDITION);
      assert.equal(error.findDetail(ErrorInfoSchema)?.reason, "FROM_GRPC_JS");
      assert.equal(error.details.length, 2);
    } finally {
      server.forceShutdown();
    }
  });

  it("a malformed grpc-status-details-bin gives no details, not a failed parse", async () => {
    const { decodeStatusDetails } = await import("../../runtime/status/error-details.js");
    assert.deepEqual(decodeStatusDetails("%%%not base64"), []);
    assert.deepEqual(decodeStatusDetails(Buffer.from([0xff, 0xff, 0xff]).toString("base64")), []);
  });
});

describe("google.rpc schemas in the runtime", () => {
  it("are what protoc-gen-es generates from runtime/status/details today", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const root = new URL("../../", import.meta.url).pathname;
    const dir = join(root, "runtime/status/details");
    const out = mkdtempSync(join(tmpdir(), "tsgrpc-rpc-"));
    try {
      execFileSync(join(root, "node_modules/.bin/protoc"), [
        `-I${dir}`,
        `--plugin=protoc-gen-es=${join(root, "node_modules/.bin/protoc-gen-es")}`,
        `--es_out=${out}`,
        "--es_opt=target=ts,import_extension=js",
        "google/rpc/status.proto",
        "google/rpc/error_details.proto",
      ]);
      for (const f of ["google/rpc/status_pb.ts", "google/rpc/error_details_pb.ts"]) {
        assert.equal(readFileSync(join(dir, f), "utf8"), readFileSync(join(out, f), "utf8"), `${f} is stale`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// Server reflection (grpc.reflection.v1 and v1alpha), with our generated client in memory and a grpc-js client over TCP.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fromBinary, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { GrpcError, ReflectionService, Server, Status, addReflection, channelFor, serviceDescriptor, type Channel } from "tsgrpc";
import { GreeterService } from "../../examples/greeter-service.js";
import { ServerReflectionClient } from "../../runtime/services/gen/grpc/reflection/v1/reflection_grpc.js";
import type { ServerReflectionRequestSchema, ServerReflectionResponse } from "../../runtime/services/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflectionClient as V1AlphaClient } from "../../runtime/services/gen/grpc/reflection/v1alpha/reflection_grpc.js";
import { compileDescriptors } from "../runtime/harness.js";
import { grpc, grpcJsReflectionClient } from "./grpc-js-peer.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
type Request = MessageInitShape<typeof ServerReflectionRequestSchema>;

/** The services of test/services/protos, compiled by protoc at test time (no generated code). */
let notes: DescService;
let protosFile: (name: string) => DescFile;

before(() => {
  const registry = compileDescriptors(join(root, "test/services/protos"), ["reflect/notes_service.proto"]);
  notes = registry.getService("reflect.svc.Notes")!;
  protosFile = (name) => registry.getFile(name)!;
});

/** A server with the example Greeter, the Notes service, and reflection in both versions. */
function reflectedServer(): Server {
  const implementation = { [serviceDescriptor]: notes, get: async () => ({}) };
  const server = new Server().add(new GreeterService()).add(implementation);
  return addReflection(server);
}

/** Sends `requests` on one reflection stream, one at a time, and returns the responses. */
async function ask(channel: Channel, requests: Request[], version: "v1" | "v1alpha" = "v1"): Promise<ServerReflectionResponse[]> {
  // The v1alpha messages have the same fields as v1's.
  const client = version === "v1" ? new ServerReflectionClient(channel) : (new V1AlphaClient(channel) as unknown as ServerReflectionClient);
  await using call = client.open.serverReflectionInfo({ timeout: 5_000 });
  const responses: ServerReflectionResponse[] = [];
  for (const request of requests) {
    await call.send(request);
    const response = await call.receive();
    assert.ok(response !== undefined);
    responses.push(response as ServerReflectionResponse);
  }
  call.end();
  assert.equal(await call.receive(), undefined);
  return responses;
}

/** The file names in a file_descriptor_response, in order. */
function fileNames(response: ServerReflectionResponse): string[] {
  assert.equal(response.messageResponse.case, "fileDescriptorResponse", JSON.stringify(response.messageResponse));
  return response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

function errorOf(response: ServerReflectionResponse): { errorCode: number; errorMessage: string } {
  assert.equal(response.messageResponse.case, "errorResponse");
  const { errorCode, errorMessage } = response.messageResponse.value;
  return { errorCode, errorMessage };
}

for (const version of ["v1", "v1alpha"] as const) {
  describe(`reflection ${version}`, () => {
    it("lists the registered services, sorted, itself included", async () => {
      await using channel = channelFor(reflectedServer());
      const [response] = await ask(channel, [{ host: "h", messageRequest: { case: "listServices", value: "*" } }], version);
      assert.equal(response!.validHost, "h");
      assert.equal(response!.originalRequest?.messageRequest.case, "listServices");
      assert.equal(response!.messageResponse.case, "listServicesResponse");
      assert.deepEqual(
        response!.messageResponse.value.service.map((s) => s.name),
        ["greeter.v1.Greeter", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "reflect.svc.Notes"],
      );
    });

    it("finds a file by name, with its transitive dependencies, each sent once per stream", async () => {
      await using channel = channelFor(reflectedServer());
      const responses = await ask(
        channel,
        [
          { messageRequest: { case: "fileByFilename", value: "reflect/notes_service.proto" } },
          { messageRequest: { case: "fileByFilename", value: "reflect/notes.proto" } },
          { messageRequest: { case: "fileByFilename", value: "greeter/v1/greeter.proto" } },
        ],
        version,
      );
      assert.deepEqual(fileNames(responses[0]!), [
        "reflect/notes_service.proto",
        "reflect/notes.proto",
        "google/protobuf/descriptor.proto",
        "reflect/base.proto",
      ]);
      // The requested file always comes; its dependencies went out already on this stream.
      assert.deepEqual(fileNames(responses[1]!), ["reflect/notes.proto"]);
      assert.deepEqual(fileNames(responses[2]!), ["greeter/v1/greeter.proto"]);
      // What goes out is the FileDescriptorProto the service was built from.
      const sent: FileDescriptorProto = fromBinary(FileDescriptorProtoSchema, (responses[0]!.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto[0]!);
      assert.deepEqual(sent.dependency, ["reflect/notes.proto"]);
      assert.deepEqual(sent.service.map((s) => s.name), ["Notes"]);
    });

    it("finds the file containing a symbol: service, method, message, field, oneof, nested enum, enum value, extension", async () => {
      await using channel = channelFor(reflectedServer());
      const symbols: Array<[string, string]> = [
        ["greeter.v1.Greeter", "greeter/v1/greeter.proto"],
        ["greeter.v1.Greeter.SayHello", "greeter/v1/greeter.proto"],
        [".greeter.v1.HelloRequest", "greeter/v1/greeter.proto"],
        ["reflect.svc.Notes.Get", "reflect/notes_service.proto"],
        ["reflect.notes.Holder", "reflect/notes.proto"],
        ["reflect.notes.Holder.base", "reflect/notes.proto"],
        ["reflect.notes.Holder.choice", "reflect/notes.proto"],
        ["reflect.notes.Holder.Kind", "reflect/notes.proto"],
        ["reflect.notes.Holder.KIND_PLAIN", "reflect/notes.proto"],
        ["reflect.notes.note", "reflect/notes.proto"],
        ["reflect.notes.Holder.count", "reflect/notes.proto"],
        ["reflect.base.Base", "reflect/base.proto"],
        ["google.protobuf.MessageOptions", "google/protobuf/descriptor.proto"],
      ];
      // A new stream per symbol, so each answer is the file first and then all its dependencies.
      for (const [symbol, file] of symbols) {
        const [response] = await ask(channel, [{ messageRequest: { case: "fileContainingSymbol", value: symbol } }], version);
        assert.equal(fileNames(response!)[0], file, symbol);
      }
      const [missing] = await ask(channel, [{ messageRequest: { case: "fileContainingSymbol", value: "no.Such" } }], version);
      assert.deepEqual(errorOf(missing!), { errorCode: Status.NOT_FOUND, errorMessage: "symbol not found: no.Such" });
    });

    it("finds the file containing an extension, and all extension numbers of a type", async () => {
      await using channel = channelFor(reflectedServer());
      const responses = await ask(
        channel,
        [
          { messageRequest: { case: "fileContainingExtension", value: { containingType: "reflect.base.Base", extensionNumber: 102 } } },
          { messageRequest: { case: "fileContainingExtension", value: { containingType: "google.protobuf.MessageOptions", extensionNumber: 50001 } } },
          { messageRequest: { case: "fileContainingExtension", value: { containingType: "reflect.base.Base", extensionNumber: 150 } } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "reflect.base.Base" } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "greeter.v1.HelloRequest" } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "no.Such" } },
        ],
        version,
      );
      assert.equal(fileNames(responses[0]!)[0], "reflect/notes.proto");
      assert.equal(fileNames(responses[1]!)[0], "reflect/notes.proto");
      assert.deepEqual(errorOf(responses[2]!), { errorCode: Status.NOT_FOUND, errorMessage: "extension not found: reflect.base.Base 150" });
      const numbers = (response: ServerReflectionResponse) => {
        assert.equal(response.messageResponse.case, "allExtensionNumbersResponse");
        return { base: response.messageResponse.value.baseTypeName, numbers: response.messageResponse.value.extensionNumber };
      };
      assert.deepEqual(numbers(responses[3]!), { base: "reflect.base.Base", numbers: [101, 102] });
      assert.deepEqual(numbers(responses[4]!), { base: "greeter.v1.HelloRequest", numbers: [] });
      assert.deepEqual(errorOf(responses[5]!), { errorCode: Status.NOT_FOUND, errorMessage: "type not found: no.Such" });
    });

    it("answers NOT_FOUND for an unknown file, and ends the stream with INVALID_ARGUMENT for an empty request", async () => {
      await using channel = channelFor(reflectedServer());
      const [missing] = await ask(channel, [{ messageRequest: { case: "fileByFilename", value: "nope.proto" } }], version);
      assert.deepEqual(errorOf(missing!), { errorCode: Status.NOT_FOUND, errorMessage: "file not found: nope.proto" });
      const client = version === "v1" ? new ServerReflectionClient(channel) : new V1AlphaClient(channel);
      const stream = client.serverReflectionInfo([{ host: "h" }]);
      await assert.rejects(
        (async () => {
          for await (const _ of stream);
        })(),
        (e: unknown) => e instanceof GrpcError && e.code === Status.INVALID_ARGUMENT,
      );
    });
  });
}

describe("reflection setup", () => {
  it("ReflectionService serves one version; a version not added is UNIMPLEMENTED", async () => {
    const server = new Server().add(new GreeterService());
    server.add(new ReflectionService(server, { version: "v1alpha" }));
    await using channel = channelFor(server);
    const [response] = await ask(channel, [{ messageRequest: { case: "listServices", value: "" } }], "v1alpha");
    assert.deepEqual(
      (response!.messageResponse.value as { service: { name: string }[] }).service.map((s) => s.name),
      ["greeter.v1.Greeter", "grpc.reflection.v1alpha.ServerReflection"],
    );
    await assert.rejects(ask(channel, [{ messageRequest: { case: "listServices", value: "" } }], "v1"), (e: unknown) => e instanceof GrpcError && e.code === Status.UNIMPLEMENTED);
  });

  it("describes services added after it, and extra files given in options", async () => {
    const server = new Server();
    server.add(new ReflectionService(server, { files: [protosFile("reflect/base.proto")] }));
    await using channel = channelFor(server);
    const first = await ask(channel, [
      { messageRequest: { case: "listServices", value: "" } },
      { messageRequest: { case: "fileContainingSymbol", value: "reflect.base.Base" } },
    ]);
    assert.deepEqual((first[0]!.messageResponse.value as { service: { name: string }[] }).service.length, 1);
    assert.deepEqual(fileNames(first[1]!), ["reflect/base.proto"]);
    server.add(new GreeterService());
    const [later] = await ask(channel, [{ messageRequest: { case: "fileContainingSymbol", value: "greeter.v1.Greeter" } }]);
    assert.deepEqual(fileNames(later!), ["greeter/v1/greeter.proto"]);
  });
});

describe("reflection with a grpc-js client over TCP", () => {
  for (const version of ["v1", "v1alpha"] as const) {
    it(`${version}: lists services and fetches the file of a symbol with its dependencies`, async () => {
      const server = reflectedServer();
      const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
      const client = grpcJsReflectionClient(`127.0.0.1:${port}`, version);
      try {
        const call = client.ServerReflectionInfo() as grpc.ClientDuplexStream<object, Record<string, unknown>>;
        const responses: Record<string, unknown>[] = [];
        const done = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
        call.on("data", (response) => responses.push(response));
        call.write({ host: "", list_services: "" });
        call.write({ host: "", file_containing_symbol: "reflect.svc.Notes" });
        call.end();
        assert.equal((await done).code, grpc.status.OK);
        assert.equal(responses.length, 2);
        const services = (responses[0]!.list_services_response as { service: { name: string }[] }).service.map((s) => s.name);
        assert.ok(services.includes("reflect.svc.Notes") && services.includes(`grpc.reflection.${version}.ServerReflection`));
        const files = (responses[1]!.file_descriptor_response as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
        assert.deepEqual(
          files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name),
          ["reflect/notes_service.proto", "reflect/notes.proto", "google/protobuf/descriptor.proto", "reflect/base.proto"],
        );
      } finally {
        client.close();
        await server.forceClose();
      }
    });
  }
});

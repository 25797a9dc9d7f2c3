// A grpc-js client of the example Greeter, loaded at run time by @grpc/proto-loader from proto/greeter/v1/greeter.proto.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const protoDir = fileURLToPath(new URL("../../proto", import.meta.url));

/** The Greeter service definition, as grpc-js servers and clients take it. */
export function grpcJsGreeterService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync("greeter/v1/greeter.proto", { includeDirs: [protoDir], keepCase: true, defaults: true });
  return (grpc.loadPackageDefinition(definition) as { greeter: { v1: { Greeter: grpc.ServiceClientConstructor } } }).greeter.v1.Greeter;
}

export function grpcJsGreeterClient(
  address: string,
  options?: grpc.ChannelOptions,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): grpc.Client & Record<string, Function> {
  const Greeter = grpcJsGreeterService();
  return new Greeter(address, credentials, options) as unknown as grpc.Client & Record<string, Function>;
}

// A grpc-js client of the example Greeter, loaded at run time by @grpc/proto-loader from proto/greeter/v1/greeter.proto.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const protoDir = fileURLToPath(new URL("../../proto", import.meta.url));

export function grpcJsGreeterClient(address: string, options?: grpc.ChannelOptions): grpc.Client & Record<string, Function> {
  const definition = protoLoader.loadSync("greeter/v1/greeter.proto", { includeDirs: [protoDir], keepCase: true, defaults: true });
  const Greeter = (grpc.loadPackageDefinition(definition) as { greeter: { v1: { Greeter: grpc.ServiceClientConstructor } } }).greeter.v1.Greeter;
  return new Greeter(address, grpc.credentials.createInsecure(), options) as unknown as grpc.Client & Record<string, Function>;
}

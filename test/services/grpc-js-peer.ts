// grpc-js clients for the health and reflection services, loaded at run time by @grpc/proto-loader
// from the protos in runtime/services/proto (no code generation).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

export const SERVICES_PROTO_DIR = fileURLToPath(new URL("../../runtime/services/proto", import.meta.url));

function load(file: string): grpc.GrpcObject {
  const definition = protoLoader.loadSync(file, { includeDirs: [SERVICES_PROTO_DIR], keepCase: true, enums: String, defaults: true, oneofs: true });
  return grpc.loadPackageDefinition(definition);
}

type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & Record<string, Function>;

function clientClass(root: grpc.GrpcObject, path: string): ClientConstructor {
  let node: unknown = root;
  for (const part of path.split(".")) node = (node as Record<string, unknown>)[part];
  return node as ClientConstructor;
}

/** A grpc-js client of grpc.health.v1.Health at `address`. */
export function grpcJsHealthClient(address: string) {
  const Health = clientClass(load("grpc/health/v1/health.proto"), "grpc.health.v1.Health");
  return new Health(address, grpc.credentials.createInsecure());
}

/** A grpc-js client of grpc.reflection.<version>.ServerReflection at `address`. */
export function grpcJsReflectionClient(address: string, version: "v1" | "v1alpha" = "v1") {
  const Reflection = clientClass(load(`grpc/reflection/${version}/reflection.proto`), `grpc.reflection.${version}.ServerReflection`);
  return new Reflection(address, grpc.credentials.createInsecure());
}

/** Check through a grpc-js client: resolves with the status name, rejects with a grpc-js ServiceError. */
export function grpcJsCheck(client: grpc.Client & Record<string, Function>, service: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + 5_000 }, (error: grpc.ServiceError | null, response: { status: string }) =>
      error ? reject(error) : resolve(response.status),
    );
  });
}

export { grpc };

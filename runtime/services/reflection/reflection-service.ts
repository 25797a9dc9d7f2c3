import type { DescFile } from "@bufbuild/protobuf";
import type { Server } from "../../server/server.js";
import { serviceDescriptor, type ServiceImplementation } from "../../service/service-implementation.js";
import { GrpcError } from "../../status/grpc-error.js";
import { Status } from "../../status/status.js";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { DescriptorIndex } from "./descriptor-index.js";

/** Options of the reflection service. */
export interface ReflectionOptions {
  /** The protocol version: `grpc.reflection.v1` (default) or the older `grpc.reflection.v1alpha`, which some tools still use. */
  version?: "v1" | "v1alpha";
  /** Files to describe beyond the services' own and their imports (say, extensions no service file imports). */
  files?: Iterable<DescFile>;
}

type Request = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;
/** A response as an init object: the same fields in v1 and v1alpha. */
type Response = {
  validHost: string;
  originalRequest: Request;
  messageResponse:
    | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
    | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
    | { case: "listServicesResponse"; value: { service: { name: string }[] } }
    | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };
};

/**
 * Server reflection (`grpc.reflection.v1` or `v1alpha`): tells tools like
 * `buf curl`, grpcurl and Postman which services the server has and how their
 * messages look, from the descriptors of the services registered on `server`
 * (at the time of each request, so services added later show up) and all the
 * files they import.
 *
 * ```ts
 * server.add(new ReflectionService(server)); // or addReflection(server) for v1 and v1alpha
 * ```
 */
export class ReflectionService implements ServiceImplementation<typeof v1.ServerReflection | typeof v1alpha.ServerReflection> {
  readonly [serviceDescriptor]: typeof v1.ServerReflection | typeof v1alpha.ServerReflection;
  readonly #server: Server;
  readonly #files: readonly DescFile[];
  #index: DescriptorIndex | undefined;

  constructor(server: Server, options: ReflectionOptions = {}) {
    this[serviceDescriptor] = options.version === "v1alpha" ? v1alpha.ServerReflection : v1.ServerReflection;
    this.#server = server;
    this.#files = [...(options.files ?? [])];
  }

  /** One response per request, in order (the spec's only rpc, a bidi stream). */
  async *serverReflectionInfo(requests: AsyncIterable<Request>): AsyncIterable<Response> {
    // Files this stream has received, so dependencies go out once (as grpc-go does).
    const sent = new Set<string>();
    for await (const request of requests) {
      yield { validHost: request.host, originalRequest: request, messageResponse: this.#answer(request, sent) };
    }
  }

  #answer(request: Request, sent: Set<string>): Response["messageResponse"] {
    const index = this.#currentIndex();
    const notFound = (errorMessage: string): Response["messageResponse"] => ({
      case: "errorResponse",
      value: { errorCode: Status.NOT_FOUND, errorMessage },
    });
    const files = (file: DescFile | undefined, what: string): Response["messageResponse"] =>
      file === undefined ? notFound(what) : { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.withDependencies(file, sent) } };
    const query = request.messageRequest;
    switch (query.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
      case "fileByFilename":
        return files(index.fileByName(query.value), `file not found: ${query.value}`);
      case "fileContainingSymbol":
        return files(index.fileContainingSymbol(query.value), `symbol not found: ${query.value}`);
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = query.value;
        return files(index.fileContainingExtension(containingType, extensionNumber), `extension not found: ${containingType} ${extensionNumber}`);
      }
      case "allExtensionNumbersOfType": {
        const numbers = index.extensionNumbers(query.value);
        if (numbers === undefined) return notFound(`type not found: ${query.value}`);
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: query.value, extensionNumber: numbers } };
      }
      default:
        // grpc-go ends the stream this way for a request without a known field.
        throw new GrpcError(Status.INVALID_ARGUMENT, "invalid reflection request: no message_request set");
    }
  }

  /** The index of the server's services, rebuilt when services were added (they are never removed). */
  #currentIndex(): DescriptorIndex {
    const services = this.#server.services;
    if (this.#index === undefined || this.#index.services.length !== services.size) {
      this.#index = new DescriptorIndex(services.values(), this.#files);
    }
    return this.#index;
  }
}

/** Serves reflection on `server` in both versions, `grpc.reflection.v1` and `v1alpha`, like grpclib's `ServerReflection.extend()`. */
export function addReflection(server: Server, options: Omit<ReflectionOptions, "version"> = {}): Server {
  return server.add(new ReflectionService(server, { ...options, version: "v1" })).add(new ReflectionService(server, { ...options, version: "v1alpha" }));
}

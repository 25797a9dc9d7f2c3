// grpc.testing.TestService for the grpc-js peers, loaded at run time by
// @grpc/proto-loader from proto/grpc/testing/test.proto (no code generation),
// with the plain-object message shapes that loader produces.
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { PROTO_DIR } from "./args.js";

// keepCase: field names as in the .proto; enums as names; defaults filled in.
const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  includeDirs: [PROTO_DIR],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

export interface Payload {
  type?: string;
  body?: Uint8Array;
}
export interface EchoStatus {
  code: number;
  message: string;
}
export interface BoolValue {
  value: boolean;
}
export interface SimpleRequest {
  response_type?: string;
  response_size?: number;
  payload?: Payload | null;
  response_status?: EchoStatus | null;
  response_compressed?: BoolValue | null;
  expect_compressed?: BoolValue | null;
}
export interface SimpleResponse {
  payload?: Payload | null;
}
export interface StreamingInputCallRequest {
  payload?: Payload | null;
  expect_compressed?: BoolValue | null;
}
export interface StreamingInputCallResponse {
  aggregated_payload_size?: number;
}
export interface ResponseParameters {
  size?: number;
  interval_us?: number;
  compressed?: BoolValue | null;
}
export interface StreamingOutputCallRequest {
  response_type?: string;
  response_parameters?: ResponseParameters[];
  payload?: Payload | null;
  response_status?: EchoStatus | null;
}
export interface StreamingOutputCallResponse {
  payload?: Payload | null;
}
export type Empty = Record<string, never>;

function service(name: string): grpc.ServiceDefinition {
  const found = definition[name];
  if (found === undefined || "format" in found) throw new Error(`${name} is not a service in grpc/testing/test.proto`);
  return found as grpc.ServiceDefinition;
}

/** The message types of each TestService method, for typed grpc-js calls. */
interface TestServiceMethods {
  EmptyCall: [Empty, Empty];
  UnaryCall: [SimpleRequest, SimpleResponse];
  CacheableUnaryCall: [SimpleRequest, SimpleResponse];
  StreamingOutputCall: [StreamingOutputCallRequest, StreamingOutputCallResponse];
  StreamingInputCall: [StreamingInputCallRequest, StreamingInputCallResponse];
  FullDuplexCall: [StreamingOutputCallRequest, StreamingOutputCallResponse];
  HalfDuplexCall: [StreamingOutputCallRequest, StreamingOutputCallResponse];
  UnimplementedCall: [Empty, Empty];
}

export const TestService = service("grpc.testing.TestService");
export const UnimplementedService = service("grpc.testing.UnimplementedService");

/** One TestService method's definition (path, serializers), typed by its messages. */
export function testMethod<K extends keyof TestServiceMethods>(
  name: K,
): grpc.MethodDefinition<TestServiceMethods[K][0], TestServiceMethods[K][1]> {
  return TestService[name] as grpc.MethodDefinition<TestServiceMethods[K][0], TestServiceMethods[K][1]>;
}

export const unimplementedServiceCall = UnimplementedService["UnimplementedCall"] as grpc.MethodDefinition<Empty, Empty>;

import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { ServerCall } from "../server/server-call.js";

/**
 * The key under which a generated base class carries its service descriptor,
 * so `server.add(new MyService())` needs nothing else. A symbol, so it can
 * never clash with an rpc's name.
 */
export const serviceDescriptor: unique symbol = Symbol.for("tsgrpc.serviceDescriptor");

/** An object that serves a service: what generated `<Service>Base` classes implement. */
export interface ServiceImplementation<S extends DescService = DescService> {
  readonly [serviceDescriptor]: S;
}

type Out<O extends DescMessage> = MessageShape<O> | MessageInitShape<O>;

/** The handler type of one method, by its kind. */
export type MethodHandler<M extends Pick<DescMethod, "input" | "output" | "methodKind">> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: MessageShape<I>, call: ServerCall) => Promise<Out<O>>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (request: MessageShape<I>, call: ServerCall) => AsyncIterable<Out<O>>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? (requests: AsyncIterable<MessageShape<I>>, call: ServerCall) => Promise<Out<O>>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? (requests: AsyncIterable<MessageShape<I>>, call: ServerCall) => AsyncIterable<Out<O>>
        : never;

/**
 * Handlers for a service as a plain object, keyed by the methods' local names
 * (`server.add(Greeter, { sayHello: async (req) => ({ message: "hi" }) })`).
 * A method left out answers UNIMPLEMENTED.
 */
export type ServiceHandlers<S extends DescService> =
  S extends GenService<infer R extends GenServiceMethods> ? { [K in keyof R]?: MethodHandler<R[K]> } : Record<string, UntypedHandler>;

/** A handler seen without its service's generated types. */
export type UntypedHandler = (input: never, call: ServerCall) => unknown;

import type { DescMessage } from "@bufbuild/protobuf";
import { runWithCall } from "../context/call-context.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { Route } from "./routes.js";
import { chainServer, type ServerInterceptor, type ServerNext, type ServerRequestMessage, type ServerResponseMessage } from "../interceptors/server-interceptor.js";
import { invokeHandler, OneMessage, type AnyHandler } from "./invoke-handler.js";
import type { ServerCall, ServerCallImpl } from "./server-call.js";

type Call = ServerCallImpl<DescMessage, DescMessage>;
type Out = ServerResponseMessage;
type In = ServerRequestMessage;

/**
 * Runs a handler for one call, by the method's kind, and ends the call with
 * the handler's outcome. Never throws: every failure becomes a status.
 */
export function dispatch(call: Call, route: Route, withContext: boolean, chain: ServerNext | undefined): Promise<void> | void {
  if (chain === undefined && route.method.methodKind === "unary" && route.handler !== undefined) {
    runUnary(call, route.handler as Handler, withContext);
    return;
  }
  const body = chain === undefined ? () => run(call, route) : () => runIntercepted(call, route, chain);
  // The handler runs with `call` as the current server call, so the calls it makes inherit its deadline and cancellation.
  return withContext ? runWithCall(call, body) : body();
}

/**
 * Runs the interceptor chain around the handler. Requests go in as a stream
 * (one message for unary and server streaming, read only when the chain asks
 * for it, so an interceptor that rejects never waits for the request); a
 * unary or client-streaming method must yield exactly one response.
 */
async function runIntercepted(call: Call, route: Route, chain: ServerNext): Promise<void> {
  const kind = route.method.methodKind;
  call.handler = route.handler as AnyHandler | undefined;
  try {
    const requests =
      kind === "unary" || kind === "server_streaming" ? new OneMessage<In>(() => call.readRequest()) : (call.requests() as AsyncIterable<In>);
    const responses = chain(call, requests);
    if (kind === "unary" || kind === "client_streaming") {
      call.sendUnary(await onlyResponse(call, responses));
    } else {
      await sendAll(call, responses);
    }
  } catch (error) {
    call.fail(error);
  }
}

/**
 * `interceptors` around `route`'s handler, composed once for every call to
 * the route (the server keeps it).
 */
export function routeChain(route: Route, interceptors: readonly ServerInterceptor[]): ServerNext {
  const kind = route.method.methodKind;
  const handler = route.handler as AnyHandler | undefined;
  return chainServer(interceptors, (call, requests) => {
    if (handler === undefined) throw unimplemented(route);
    return invokeHandler(kind, handler, call, requests);
  });
}

/** The one response of a unary or client-streaming call: exactly one, or INTERNAL. */
async function onlyResponse(call: Call, responses: AsyncIterable<Out>): Promise<Out> {
  if (responses instanceof OneMessage && !responses.taken) {
    const response = (await responses.take()) as Out | undefined;
    if (response === undefined) throw new GrpcError(Status.INTERNAL, `the handler of ${call.path} produced no response`);
    return response;
  }
  const iterator = responses[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true || first.value === undefined) {
    throw new GrpcError(Status.INTERNAL, `the handler of ${call.path} produced no response`);
  }
  const second = await iterator.next();
  if (second.done !== true) {
    await iterator.return?.();
    throw new GrpcError(Status.INTERNAL, `the handler of ${call.path} produced more than one response`);
  }
  return first.value;
}

function unimplemented(route: Route): GrpcError {
  return new GrpcError(Status.UNIMPLEMENTED, `method ${route.method.parent.typeName}.${route.method.name} is not implemented`);
}

type Handler = (input: unknown, call: ServerCall) => unknown;

/**
 * A unary call without interceptors, from callbacks rather than an async
 * function: a few promises fewer per call. With `withContext` the handler
 * runs with `call` as the current server call (its awaits carry it on).
 */
function runUnary(call: Call, handler: Handler, withContext: boolean): void {
  call.onRequest(
    (request) => {
      let response: unknown;
      try {
        response = withContext ? runWithCall(call, () => handler(request, call)) : handler(request, call);
      } catch (error) {
        call.fail(error);
        return;
      }
      if (isPromiseLike(response)) response.then((value) => sendUnary(call, value), (error: unknown) => call.fail(error));
      else sendUnary(call, response);
    },
    (error) => call.fail(error),
  );
}

function sendUnary(call: Call, response: unknown): void {
  try {
    call.sendUnary(response as Out);
  } catch (error) {
    call.fail(error);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

async function run(call: Call, route: Route): Promise<void> {
  const handler = route.handler as ((input: unknown, call: ServerCall) => unknown) | undefined;
  if (handler === undefined) {
    call.fail(unimplemented(route));
    return;
  }
  try {
    // (Unary calls go through runUnary.)
    switch (route.method.methodKind) {
      case "server_streaming": {
        const request = await call.readRequest();
        await sendAll(call, handler(request, call) as AsyncIterable<Out>);
        return;
      }
      case "client_streaming": {
        call.sendUnary((await handler(call.requests() as AsyncIterable<In>, call)) as Out);
        return;
      }
      case "bidi_streaming": {
        await sendAll(call, handler(call.requests() as AsyncIterable<In>, call) as AsyncIterable<Out>);
        return;
      }
    }
  } catch (error) {
    call.fail(error);
  }
}

async function sendAll(call: Call, responses: AsyncIterable<Out>): Promise<void> {
  for await (const response of responses) {
    const drained = call.send(response);
    if (drained !== undefined) await drained;
  }
  call.finish();
}

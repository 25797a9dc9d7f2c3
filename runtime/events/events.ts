import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { Metadata } from "../metadata/metadata.js";
import type { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { AnyHandler } from "../server/invoke-handler.js";
import type { ServerCall } from "../server/server-call.js";

/**
 * Events a Channel or a Server dispatches to listeners (`listen()`), as in
 * grpclib. Plain properties are *mutable*: a listener may change them and the
 * call uses the new value. Getters are *read-only*.
 */
export abstract class GrpcEvent {
  #interrupted = false;

  /** Stops the listeners after this one from seeing the event. */
  interrupt(): void {
    this.#interrupted = true;
  }

  /** Whether a listener called `interrupt()`. */
  get interrupted(): boolean {
    return this.#interrupted;
  }
}

/** The fields the two message events share. */
abstract class MessageEvent<M extends object> extends GrpcEvent {
  /** The message. Mutable. */
  message: M;
  readonly #method: DescMethod;
  constructor(message: M, method: DescMethod) {
    super();
    this.message = message;
    this.#method = method;
  }
  /** The method of the call. */
  get method(): DescMethod {
    return this.#method;
  }
}

/** Before a message goes to the other side (client requests, server responses): a message or an init object of the method's type. */
export class SendMessage extends MessageEvent<object> {
  declare private readonly direction: "send";
}

/** After a message arrived from the other side (client responses, server requests), decoded. */
export class RecvMessage extends MessageEvent<Message> {
  declare private readonly direction: "recv";
}

/** Client: before the request headers go to the server. */
export class SendRequest extends GrpcEvent {
  /** The request metadata. Mutable. */
  metadata: Metadata;
  readonly #methodName: string;
  readonly #deadline: number | undefined;
  readonly #contentType: string;
  /** @internal */
  constructor(metadata: Metadata, methodName: string, deadline: number | undefined, contentType: string) {
    super();
    this.metadata = metadata;
    this.#methodName = methodName;
    this.#deadline = deadline;
    this.#contentType = contentType;
  }
  /** The method path, `/package.Service/Method`. */
  get methodName(): string {
    return this.#methodName;
  }
  /** The call's deadline as epoch milliseconds, if it has one. */
  get deadline(): number | undefined {
    return this.#deadline;
  }
  /** The request content-type. */
  get contentType(): string {
    return this.#contentType;
  }
}

/** Client: after the response headers arrived. */
export class RecvInitialMetadata extends GrpcEvent {
  declare private readonly side: "client";
  /** The response headers. Mutable. */
  metadata: Metadata;
  /** @internal */
  constructor(metadata: Metadata) {
    super();
    this.metadata = metadata;
  }
}

/** The status fields the trailing-metadata events share. */
abstract class StatusEvent extends GrpcEvent {
  /** The trailing metadata. Mutable. */
  metadata: Metadata;
  readonly #error: GrpcError | undefined;
  constructor(metadata: Metadata, error: GrpcError | undefined) {
    super();
    this.metadata = metadata;
    this.#error = error;
  }
  /** The call's status code. */
  get status(): Status {
    return this.#error?.code ?? Status.OK;
  }
  /** The status message (empty for OK). */
  get statusMessage(): string {
    return this.#error?.rawMessage ?? "";
  }
  /** The rich error details (`grpc-status-details-bin`), decoded where the type is known. */
  get statusDetails(): Message[] {
    return this.#error?.details ?? [];
  }
}

/** Client: after the trailers (and with them the status) arrived. */
export class RecvTrailingMetadata extends StatusEvent {
  declare private readonly side: "client";
}

/**
 * Server: a request arrived, before its handler runs. A listener can change
 * the metadata or replace the handler (`methodFunc`), say with one that
 * throws UNAUTHENTICATED, and `interrupt()` the listeners after it.
 */
export class RecvRequest extends GrpcEvent {
  /** The request metadata. Mutable. */
  metadata: Metadata;
  /**
   * The handler that will run, with the signature of the method's kind
   * (`(request, call) => Promise<response>` for unary, and so on). Mutable:
   * a replacement runs instead of the handler and the interceptors inside
   * the event listeners.
   */
  methodFunc: AnyHandler | undefined;
  readonly #call: ServerCall;
  readonly #contentType: string;
  /** @internal */
  constructor(call: ServerCall, methodFunc: AnyHandler | undefined, contentType: string) {
    super();
    this.metadata = call.metadata;
    this.methodFunc = methodFunc;
    this.#call = call;
    this.#contentType = contentType;
  }
  /** The method path, `/package.Service/Method`. */
  get methodName(): string {
    return this.#call.path;
  }
  /** The call's deadline as epoch milliseconds, if the client set one. */
  get deadline(): number | undefined {
    return this.#call.deadline;
  }
  /** The request content-type. */
  get contentType(): string {
    return this.#contentType;
  }
  /** The client's user-agent. */
  get userAgent(): string | undefined {
    return this.#call.userAgent;
  }
  /** The client's address. */
  get peer(): string {
    return this.#call.peer;
  }
}

/** Server: just before the response headers go out. Listeners run synchronously (a promise is not awaited). */
export class SendInitialMetadata extends GrpcEvent {
  declare private readonly side: "server";
  /** The response headers. Mutable. */
  metadata: Metadata;
  /** @internal */
  constructor(metadata: Metadata) {
    super();
    this.metadata = metadata;
  }
}

/** Server: just before the status and trailing metadata go out. Listeners run synchronously (a promise is not awaited). */
export class SendTrailingMetadata extends StatusEvent {
  declare private readonly side: "server";
}

/** Events a Channel dispatches. */
export type ClientEvent = SendRequest | SendMessage | RecvMessage | RecvInitialMetadata | RecvTrailingMetadata;
/** Events a Server dispatches. */
export type ServerEvent = RecvRequest | RecvMessage | SendMessage | SendInitialMetadata | SendTrailingMetadata;

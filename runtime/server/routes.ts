import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Codec, MessageCodec } from "../codec/codec.js";
import { memberName } from "../service/member-name.js";
import { methodPath } from "../protocol/headers.js";
import type { ServerInterceptor } from "../interceptors/server-interceptor.js";

/** A method's request and response codecs, for one content-type. */
export interface MethodCodecs {
  readonly input: MessageCodec<DescMessageOf<"input">>;
  readonly output: MessageCodec<DescMessageOf<"output">>;
}
type DescMessageOf<K extends "input" | "output"> = DescMethod[K];

/**
 * Everything the server needs to run calls to one method, built once at
 * registration. `input` and `output` are the default (protobuf) codecs.
 */
export interface Route extends MethodCodecs {
  readonly method: DescMethod;
  /** The user's handler, bound to its object; undefined answers UNIMPLEMENTED. */
  readonly handler: ((input: unknown, call: never) => unknown) | undefined;
  /** The service's own interceptors (the server's wrap them). */
  readonly interceptors: readonly ServerInterceptor[];
  /** The method's codecs for `codec`, made on first use and kept. */
  codecs(codec: Codec): MethodCodecs;
}

class MethodRoute implements Route {
  readonly input: MessageCodec<DescMessageOf<"input">>;
  readonly output: MessageCodec<DescMessageOf<"output">>;
  readonly #codec: Codec;
  #others: Map<Codec, MethodCodecs> | undefined;

  constructor(
    readonly method: DescMethod,
    readonly handler: Route["handler"],
    codec: Codec,
    readonly interceptors: readonly ServerInterceptor[],
  ) {
    this.#codec = codec;
    this.input = codec.forSchema(method.input);
    this.output = codec.forSchema(method.output);
  }

  codecs(codec: Codec): MethodCodecs {
    if (codec === this.#codec) return this;
    const others = (this.#others ??= new Map());
    let codecs = others.get(codec);
    if (codecs === undefined) {
      codecs = { input: codec.forSchema(this.method.input), output: codec.forSchema(this.method.output) };
      others.set(codec, codecs);
    }
    return codecs;
  }
}

/** Maps `/package.Service/Method` to routes, and knows which services exist for the UNIMPLEMENTED message. */
export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #services = new Map<string, DescService>();

  add(service: DescService, implementation: object, codec: Codec, interceptors: readonly ServerInterceptor[] = []): void {
    if (this.#services.has(service.typeName)) {
      throw new Error(`service ${service.typeName} is already registered`);
    }
    this.#services.set(service.typeName, service);
    const impl = implementation as Record<string, unknown>;
    for (const method of service.methods) {
      // Class instances use the generated member name; plain objects may use either.
      const fn = findHandler(impl, memberName(method)) ?? findHandler(impl, method.localName);
      this.#routes.set(methodPath(method), new MethodRoute(method, fn?.bind(implementation) as Route["handler"], codec, interceptors));
    }
  }

  get(path: string): Route | undefined {
    return this.#routes.get(path);
  }

  get services(): ReadonlyMap<string, DescService> {
    return this.#services;
  }

  /** The UNIMPLEMENTED message for a path with no route, in grpc-go's words. */
  describeMissing(path: string): string {
    const slash = path.lastIndexOf("/");
    const service = path.slice(1, slash);
    if (slash <= 0 || !this.#services.has(service)) return `unknown service ${service || path}`;
    return `unknown method ${path.slice(slash + 1)} for service ${service}`;
  }
}

/**
 * The handler function under `name`, if the implementation has one of its own:
 * a method inherited from Object.prototype (an rpc named `HasOwnProperty`, say)
 * is not a handler.
 */
function findHandler(impl: Record<string, unknown>, name: string): ((...args: never[]) => unknown) | undefined {
  const fn = impl[name];
  if (typeof fn !== "function") return undefined;
  if (fn === (Object.prototype as Record<string, unknown>)[name]) return undefined;
  return fn as (...args: never[]) => unknown;
}

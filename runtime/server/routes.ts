import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Codec, MessageCodec } from "../codec/codec.js";
import { memberName } from "../service/member-name.js";

/** Everything the server needs to run calls to one method, built once at registration. */
export interface Route {
  readonly method: DescMethod;
  /** The user's handler, bound to its object; undefined answers UNIMPLEMENTED. */
  readonly handler: ((input: unknown, call: never) => unknown) | undefined;
  readonly input: MessageCodec<DescMessageOf<"input">>;
  readonly output: MessageCodec<DescMessageOf<"output">>;
}
type DescMessageOf<K extends "input" | "output"> = DescMethod[K];

/** Maps `/package.Service/Method` to routes, and knows which services exist for the UNIMPLEMENTED message. */
export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #services = new Map<string, DescService>();

  add(service: DescService, implementation: object, codec: Codec): void {
    if (this.#services.has(service.typeName)) {
      throw new Error(`service ${service.typeName} is already registered`);
    }
    this.#services.set(service.typeName, service);
    const impl = implementation as Record<string, unknown>;
    for (const method of service.methods) {
      // Class instances use the generated member name; plain objects may use either.
      const fn = findHandler(impl, memberName(method)) ?? findHandler(impl, method.localName);
      this.#routes.set(`/${service.typeName}/${method.name}`, {
        method,
        handler: fn?.bind(implementation) as Route["handler"],
        input: codec.forSchema(method.input),
        output: codec.forSchema(method.output),
      });
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

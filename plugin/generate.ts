/**
 * Emits `<name>_grpc.ts` (or `<name>_grpc.js` and `<name>_grpc.d.ts`) for every
 * .proto file that declares a service. Each service becomes two classes:
 *
 * - `<Service>Base`, extended by a server implementation, and
 * - `<Service>Client`, which calls the service over a channel.
 *
 * The message types and the service descriptor come from the `<name>_pb` file
 * that protoc-gen-es generates next to ours; everything else from "tsgrpc".
 * The three targets share one walk over the schema: `ts` prints code with
 * types, `js` the same code without them, `dts` only the declarations.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, ImportSymbol, Printable, Schema } from "./protoplugin.js";
import { memberName } from "../runtime/service/member-name.js";
import { formatDoc, methodDoc, serviceDoc, shortMethodDoc } from "./jsdoc.js";

/** The options of protoc-gen-tsgrpc beyond the standard protoplugin ones. */
export interface Options {
  /**
   * `unimplemented=true`: base classes get methods that fail with status
   * UNIMPLEMENTED instead of abstract ones, so a server can implement a subset.
   */
  unimplemented: boolean;
}

export type Target = "ts" | "js" | "dts";

/** The module generated code imports the runtime from. */
const runtimeModule = "tsgrpc";

const fileExtensions: Record<Target, string> = { ts: ".ts", js: ".js", dts: ".d.ts" };

/** Generates the files of one target for every file to generate in the schema. */
export function generate(schema: Schema<Options>, target: Target): void {
  for (const file of schema.files) {
    if (file.services.length === 0) continue;
    const f = schema.generateFile(file.name + "_grpc" + fileExtensions[target]);
    f.preamble(file);
    const printer = new ServicePrinter(f, target, schema.options.unimplemented);
    file.services.forEach((service, i) => {
      if (i > 0) f.print();
      printer.printBase(service);
      f.print();
      printer.printClient(service);
    });
  }
}

/** A parameter of a generated method: its type is printed for `ts` and `dts` only. */
interface Param {
  name: string;
  type: Printable;
  optional?: boolean;
}

/** Which ServiceClient call a method kind uses. */
const clientCalls: Record<DescMethod["methodKind"], string> = {
  unary: "unary",
  server_streaming: "serverStreaming",
  client_streaming: "clientStreaming",
  bidi_streaming: "bidiStreaming",
};

class ServicePrinter {
  constructor(
    private readonly f: GeneratedFile,
    private readonly target: Target,
    private readonly unimplemented: boolean,
  ) {}

  /** Imports a symbol from the runtime; a type import unless it is used as a value in code. */
  private runtime(name: string, typeOnly: boolean): ImportSymbol {
    return this.f.import(name, runtimeModule, typeOnly);
  }

  private type(name: string): ImportSymbol {
    return this.runtime(name, true);
  }

  /** `MessageInitShape<typeof XSchema>`: a message, or an object literal to create one from. */
  private initShape(method: DescMethod, which: "input" | "output"): Printable {
    const initShape = this.f.import("MessageInitShape", "@bufbuild/protobuf", true);
    return [initShape, "<typeof ", this.f.importSchema(method[which], true), ">"];
  }

  /** `typeof XSchema` for the input or output message of a method. */
  private schemaType(method: DescMethod, which: "input" | "output"): Printable {
    return ["typeof ", this.f.importSchema(method[which], true)];
  }

  /** The service descriptor: a value in code, a type-only import in declarations. */
  private descriptor(service: DescService): ImportSymbol {
    return this.f.importSchema(service, this.target === "dts");
  }

  /** `Greeter.method.sayHello`: the descriptor of a method, keyed by its localName. */
  private methodDescriptor(method: DescMethod): Printable {
    return [this.descriptor(method.parent), ".method", propertyAccess(method.localName)];
  }

  /**
   * `export abstract class GreeterBase implements ServiceImplementation<typeof Greeter>`:
   * one method per rpc for the server to implement.
   */
  printBase(service: DescService): void {
    const { f, target } = this;
    const name = service.name + "Base";
    const usage = `Extend this class to serve ${service.typeName}, then register an instance with \`server.add(...)\`.`;
    const serviceDescriptor = this.runtime("serviceDescriptor", false);
    f.print(formatDoc(serviceDoc(service, usage), ""), f.export(declaration(target, "abstract class"), name), ...(target === "js"
      ? [" {"]
      : [" implements ", this.type("ServiceImplementation"), "<typeof ", this.descriptor(service), "> {"]));
    switch (target) {
      case "ts":
        f.print("  readonly [", serviceDescriptor, "] = ", this.descriptor(service), ";");
        break;
      case "js":
        f.print("  [", serviceDescriptor, "] = ", this.descriptor(service), ";");
        break;
      case "dts":
        f.print("  readonly [", serviceDescriptor, "]: typeof ", this.descriptor(service), ";");
        break;
    }
    for (const method of service.methods) {
      if (this.unimplemented) {
        this.printUnimplementedMethod(method);
      } else if (target !== "js") {
        f.print();
        f.print(formatDoc(methodDoc(method), "  "), "  abstract ", memberKey(method), "(", this.params(this.serverParams(method)), "): ", this.serverReturn(method), ";");
      }
    }
    f.print("}");
  }

  /** A method that fails with UNIMPLEMENTED, for `unimplemented=true`. */
  private printUnimplementedMethod(method: DescMethod): void {
    const { f, target } = this;
    const params = this.serverParams(method).map((p) => ({ ...p, name: "_" + p.name }));
    const doc = formatDoc(methodDoc(method), "  ");
    f.print();
    if (target === "dts") {
      f.print(doc, "  ", memberKey(method), "(", this.params(params), "): ", this.serverReturn(method), ";");
      return;
    }
    // An async generator that throws before its first yield: TypeScript
    // accepts it as an AsyncIterable, and the error surfaces on the first next().
    const star = serverStreams(method) ? "*" : "";
    const returns: Printable = target === "ts" ? [": ", this.serverReturn(method)] : [];
    f.print(doc, "  async ", star, memberKey(method), "(", this.params(params), ")", returns, " {");
    const message = `Method ${method.parent.typeName}.${method.name} is not implemented`;
    f.print("    throw new ", this.runtime("GrpcError", false), "(", this.runtime("Status", false), ".UNIMPLEMENTED, ", f.string(message), ");");
    f.print("  }");
  }

  /** `(request: HelloRequest, call: ServerCall)` or `(requests: AsyncIterable<HelloRequest>, call: ServerCall)`. */
  private serverParams(method: DescMethod): Param[] {
    const input = this.f.importShape(method.input);
    const request: Param = clientStreams(method)
      ? { name: "requests", type: ["AsyncIterable<", input, ">"] }
      : { name: "request", type: input };
    return [request, { name: "call", type: this.type("ServerCall") }];
  }

  /** `Promise<HelloReply | MessageInitShape<...>>`, or `AsyncIterable<...>` for a response stream. */
  private serverReturn(method: DescMethod): Printable {
    const reply: Printable = [this.f.importShape(method.output), " | ", this.initShape(method, "output")];
    return serverStreams(method) ? ["AsyncIterable<", reply, ">"] : ["Promise<", reply, ">"];
  }

  /**
   * `export class GreeterClient`: one method per rpc, plus the full-control
   * forms under `open`.
   */
  printClient(service: DescService): void {
    const { f, target } = this;
    const name = service.name + "Client";
    const empty = service.methods.length === 0;
    f.print(formatDoc(serviceDoc(service), ""), f.export(declaration(target, "class"), name), " {");
    // A service without methods has nothing to call: no ServiceClient to keep.
    if (!empty) {
      switch (target) {
        case "ts":
          f.print("  readonly #client: ", this.runtime("ServiceClient", false), ";");
          break;
        case "js":
          f.print("  #client;");
          break;
        case "dts":
          f.print("  #private;");
          break;
      }
      f.print();
    }
    this.printOpen(service);
    f.print();
    // Unused parameters get a `_` in code, as the compiler option noUnusedParameters asks.
    const unused = empty && target !== "dts" ? "_" : "";
    const channel = unused + "channel";
    const options = unused + "options";
    const ctorParams = this.params([
      { name: channel, type: this.type("Channel") },
      { name: options, type: this.type("CallOptions"), optional: true },
    ]);
    if (target === "dts") {
      f.print("  constructor(", ctorParams, ");");
    } else if (empty) {
      f.print("  constructor(", ctorParams, ") {}");
    } else {
      f.print("  constructor(", ctorParams, ") {");
      f.print("    this.#client = new ", this.runtime("ServiceClient", false), "(channel, options);");
      f.print("  }");
    }
    for (const method of service.methods) {
      f.print();
      const call = clientCalls[method.methodKind];
      const streams = clientStreams(method);
      const params = this.params([
        streams
          ? { name: "requests", type: [this.type("StreamInput"), "<", this.schemaType(method, "input"), ">"] }
          : { name: "request", type: this.initShape(method, "input") },
        { name: "options", type: this.type("CallOptions"), optional: true },
      ]);
      const returns: Printable = serverStreams(method)
        ? [this.type("ResponseStream"), "<", this.schemaType(method, "output"), ">"]
        : ["Promise<", this.f.importShape(method.output), ">"];
      const doc = formatDoc(methodDoc(method), "  ");
      if (target === "dts") {
        f.print(doc, "  ", memberKey(method), "(", params, "): ", returns, ";");
        continue;
      }
      f.print(doc, "  ", memberKey(method), "(", params, ")", target === "ts" ? [": ", returns] : [], " {");
      f.print("    return this.#client.", call, "(", this.methodDescriptor(method), streams ? ", requests" : ", request", ", options);");
      f.print("  }");
    }
    f.print("}");
  }

  /** `readonly open = { sayHello: (options) => ClientCall, ... }`. */
  private printOpen(service: DescService): void {
    const { f, target } = this;
    const doc = formatDoc("Full-control forms of every method, like grpclib's `open()`: send and receive one message at a time, read metadata, cancel.", "  ", true);
    const open = { ts: "  readonly open = {", js: "  open = {", dts: "  readonly open: {" }[target];
    if (service.methods.length === 0) {
      f.print(doc, open, "};");
      return;
    }
    f.print(doc, open);
    for (const method of service.methods) {
      const callType: Printable = [this.type("ClientCall"), "<", this.schemaType(method, "input"), ", ", this.schemaType(method, "output"), ">"];
      const entryDoc = formatDoc(shortMethodDoc(method), "    ", true);
      const key = memberKey(method);
      switch (target) {
        case "ts":
          f.print(entryDoc, "    ", key, ": (options?: ", this.type("CallOptions"), "): ", callType, " => this.#client.open(", this.methodDescriptor(method), ", options),");
          break;
        case "js":
          f.print(entryDoc, "    ", key, ": (options) => this.#client.open(", this.methodDescriptor(method), ", options),");
          break;
        case "dts":
          f.print(entryDoc, "    ", key, ": (options?: ", this.type("CallOptions"), ") => ", callType, ";");
          break;
      }
    }
    f.print("  };");
  }

  /** A parameter list, with types unless the target is `js`. */
  private params(params: Param[]): Printable {
    const printed: Printable[] = [];
    params.forEach((p, i) => {
      if (i > 0) printed.push(", ");
      printed.push(p.name);
      if (this.target !== "js") printed.push(p.optional === true ? "?: " : ": ", p.type);
    });
    return printed;
  }
}

/** `class` or `abstract class` in code; `declare class` in a declaration file. */
function declaration(target: Target, kind: "class" | "abstract class"): string {
  if (target === "dts") return "declare " + kind;
  return target === "js" ? "class" : kind;
}

function clientStreams(method: DescMethod): boolean {
  return method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
}

function serverStreams(method: DescMethod): boolean {
  return method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The key of a method in the generated classes and in `open`, quoted if it is not an identifier. */
function memberKey(method: DescMethod): string {
  const name = memberName(method);
  return identifier.test(name) ? name : JSON.stringify(name);
}

/** `.name`, or `["name"]` if the name is not an identifier. */
function propertyAccess(name: string): string {
  return identifier.test(name) ? "." + name : `[${JSON.stringify(name)}]`;
}

import { toBinary, type DescEnum, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * The files that describe a set of services, with their transitive
 * dependencies, indexed the ways server reflection asks: by file name, by
 * fully-qualified symbol, by extension.
 */
export class DescriptorIndex {
  /** Service names, sorted. */
  readonly services: readonly string[];
  /** Files by name (`greeter/v1/greeter.proto`). */
  readonly #files = new Map<string, DescFile>();
  /** The file declaring each fully-qualified name (message, field, oneof, enum, enum value, service, method, extension). */
  readonly #symbols = new Map<string, DescFile>();
  /** Message types by name, so extension queries can tell an unknown type from one without extensions. */
  readonly #messages = new Set<string>();
  /** Extensions by extendee name, then number. */
  readonly #extensions = new Map<string, Map<number, DescFile>>();

  constructor(services: Iterable<DescService>, moreFiles: Iterable<DescFile> = []) {
    const names: string[] = [];
    for (const service of services) {
      names.push(service.typeName);
      this.#addFile(service.file);
    }
    for (const file of moreFiles) this.#addFile(file);
    this.services = names.sort();
  }

  fileByName(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  fileContainingSymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(symbol.startsWith(".") ? symbol.slice(1) : symbol);
  }

  fileContainingExtension(extendee: string, number: number): DescFile | undefined {
    return this.#extensions.get(stripDot(extendee))?.get(number);
  }

  /** The extension numbers of a message type, sorted; undefined for an unknown type. */
  extensionNumbers(extendee: string): number[] | undefined {
    const name = stripDot(extendee);
    if (!this.#messages.has(name)) return undefined;
    return [...(this.#extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * `file` and its transitive dependencies as serialized FileDescriptorProtos,
   * `file` first, leaving out the dependencies in `sent` (the files a stream has
   * already received, as grpc-go does) and adding the ones returned to it.
   */
  withDependencies(file: DescFile, sent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const visit = (f: DescFile, requested: boolean) => {
      const name = f.proto.name;
      if (!requested && sent.has(name)) return;
      sent.add(name);
      out.push(serialize(f));
      for (const dependency of f.dependencies) visit(dependency, false);
    };
    visit(file, true);
    return out;
  }

  #addFile(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    for (const service of file.services) {
      this.#symbols.set(service.typeName, file);
      for (const method of service.methods) this.#symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const message of file.messages) this.#addMessage(message, file);
    for (const enumeration of file.enums) this.#addEnum(enumeration, file);
    for (const extension of file.extensions) this.#addExtension(extension, file);
    for (const dependency of file.dependencies) this.#addFile(dependency);
  }

  #addMessage(message: DescMessage, file: DescFile): void {
    this.#symbols.set(message.typeName, file);
    this.#messages.add(message.typeName);
    for (const field of message.fields) this.#symbols.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) this.#symbols.set(`${message.typeName}.${oneof.name}`, file);
    for (const nested of message.nestedMessages) this.#addMessage(nested, file);
    for (const nested of message.nestedEnums) this.#addEnum(nested, file);
    for (const extension of message.nestedExtensions) this.#addExtension(extension, file);
  }

  #addEnum(enumeration: DescEnum, file: DescFile): void {
    this.#symbols.set(enumeration.typeName, file);
    // Enum values are siblings of their enum in protobuf's scoping: `pkg.VALUE`, not `pkg.Enum.VALUE`.
    const scope = enumeration.typeName.slice(0, enumeration.typeName.length - enumeration.name.length);
    for (const value of enumeration.values) this.#symbols.set(scope + value.name, file);
  }

  #addExtension(extension: DescExtension, file: DescFile): void {
    this.#symbols.set(extension.typeName, file);
    let byNumber = this.#extensions.get(extension.extendee.typeName);
    if (byNumber === undefined) this.#extensions.set(extension.extendee.typeName, (byNumber = new Map()));
    byNumber.set(extension.number, file);
  }
}

const serialized = new WeakMap<DescFile, Uint8Array>();

function serialize(file: DescFile): Uint8Array {
  let bytes = serialized.get(file);
  if (bytes === undefined) serialized.set(file, (bytes = toBinary(FileDescriptorProtoSchema, file.proto)));
  return bytes;
}

function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}

/**
 * Compiles a message schema into a function that reads a message from the
 * wire format: @bufbuild/protobuf's `fromBinary` rule for rule (last value
 * wins, messages merge, packed and unpacked lists both accepted, closed enums
 * keep unknown values as unknown fields, map entries with defaults, groups,
 * unboxed wrapper fields, unknown fields kept, a recursion limit of 100), on
 * one shared WireReader instead of a reader and a context per message.
 *
 * Like message-writer.ts, a schema that reaches a google.protobuf.Struct
 * field (kept as a JSON object) is left to `fromBinary` (the codec checks
 * reachesJsonField first).
 */
import { create, protoInt64, ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { isWrapper } from "./message-writer.js";
import type { WireReader } from "./wire-reader.js";

type Fields = Record<string, unknown> & { $unknown?: UnknownField[] };
type UnknownField = { no: number; wireType: number; data: Uint8Array };
type FieldReader = (message: Fields, reader: WireReader, depth: number, wireType: number) => void;
type ScalarReader = (reader: WireReader) => unknown;

/** fromBinary's default recursion limit. */
const RECURSION_LIMIT = 100;

interface Compiled {
  /** Reads `length` bytes of fields into `message`; `depth` is the depth of the message holding it (0 at the top). */
  read(message: Fields, reader: WireReader, depth: number, length: number): void;
  /** Reads fields up to the EndGroup tag of `fieldNo`. */
  readGroup(message: Fields, reader: WireReader, depth: number, fieldNo: number): void;
}

export type MessageReader = (reader: WireReader) => Fields;

const compiled = new WeakMap<DescMessage, Compiled>();

/** The reader of `desc`'s messages (for a schema that does not reach a JSON-kept field: see reachesJsonField). */
export function messageReader(desc: DescMessage): MessageReader {
  const message = compileMessage(desc);
  return (wire) => {
    const result = create(desc) as unknown as Fields;
    message.read(result, wire, 0, wire.len);
    return result;
  };
}

function compileMessage(desc: DescMessage): Compiled {
  const existing = compiled.get(desc);
  if (existing !== undefined) return existing;
  const name = String(desc);
  const byNumber = new Map<number, FieldReader>();
  let readField: (fieldNo: number) => FieldReader | undefined = (no) => byNumber.get(no);
  const unknownField = (message: Fields, reader: WireReader, depth: number, fieldNo: number, wireType: number): void => {
    // The rest of the recursion budget goes to skipping nested groups.
    const data = reader.skip(wireType, fieldNo, RECURSION_LIMIT - depth);
    (message.$unknown ??= []).push({ no: fieldNo, wireType, data });
  };
  const result: Compiled = {
    read(message, reader, depth, length) {
      const d = depth + 1;
      if (d > RECURSION_LIMIT) throw new Error(`cannot decode ${name} from binary: maximum recursion depth of ${RECURSION_LIMIT} reached`);
      const end = reader.pos + length;
      while (reader.pos < end) {
        const fieldNo = reader.tag();
        const wireType = reader.wireType;
        const field = readField(fieldNo);
        if (field === undefined) unknownField(message, reader, d, fieldNo, wireType);
        else field(message, reader, d, wireType);
      }
    },
    readGroup(message, reader, depth, fieldNo) {
      const d = depth + 1;
      if (d > RECURSION_LIMIT) throw new Error(`cannot decode ${name} from binary: maximum recursion depth of ${RECURSION_LIMIT} reached`);
      let recordNo = 0;
      let wireType = -1;
      while (reader.pos < reader.len) {
        recordNo = reader.tag();
        wireType = reader.wireType;
        if (wireType === 4) break;
        const field = readField(recordNo);
        if (field === undefined) unknownField(message, reader, d, recordNo, wireType);
        else field(message, reader, d, wireType);
      }
      if (wireType !== 4 || recordNo !== fieldNo) throw new Error("invalid end group tag");
    },
  };
  // Registered before its fields compile, so a recursive type finds itself.
  compiled.set(desc, result);
  let highest = 0;
  for (const field of desc.fields) {
    byNumber.set(field.number, compileField(field));
    highest = Math.max(highest, field.number);
  }
  if (highest < 256) {
    // Small field numbers: an array lookup instead of a Map's.
    const table: (FieldReader | undefined)[] = new Array<FieldReader | undefined>(highest + 1).fill(undefined);
    for (const [no, reader] of byNumber) table[no] = reader;
    readField = (no) => (no <= highest ? table[no] : undefined);
  }
  return result;
}

function compileField(field: DescField): FieldReader {
  switch (field.fieldKind) {
    case "scalar":
      return compileScalarField(field);
    case "enum":
      return compileEnumField(field);
    case "message":
      return compileMessageField(field);
    case "list":
      return compileListField(field);
    case "map":
      return compileMapField(field);
  }
}

function compileScalarField(field: DescField & { fieldKind: "scalar" }): FieldReader {
  const read = scalarReader(field.scalar, field.utf8Validation, field.longAsString);
  const localName = field.localName;
  if (field.oneof !== undefined) {
    const oneofName = field.oneof.localName;
    return (message, reader) => {
      message[oneofName] = { case: localName, value: read(reader) };
    };
  }
  return (message, reader) => {
    message[localName] = read(reader);
  };
}

function compileEnumField(field: DescField & { fieldKind: "enum" }): FieldReader {
  const localName = field.localName;
  const oneofName = field.oneof?.localName;
  if (field.enum.open) {
    if (oneofName !== undefined) {
      return (message, reader) => {
        message[oneofName] = { case: localName, value: reader.int32() };
      };
    }
    return (message, reader) => {
      message[localName] = reader.int32();
    };
  }
  // A closed enum keeps a value it does not know as an unknown field.
  const known = new Set(field.enum.values.map((v) => v.number));
  const fieldNo = field.number;
  return (message, reader, _depth, wireType) => {
    const value = reader.int32();
    if (known.has(value)) {
      if (oneofName !== undefined) message[oneofName] = { case: localName, value };
      else message[localName] = value;
    } else {
      (message.$unknown ??= []).push({ no: fieldNo, wireType, data: varint32Bytes(value) });
    }
  };
}

/** How a message-typed field is kept locally: the message itself, or a wrapper's bare value. */
interface LocalMapper {
  toMessage(local: unknown): Fields;
  toLocal(message: Fields): unknown;
}

function localMapper(field: DescField & { message: DescMessage }): LocalMapper {
  const child = field.message;
  if (field.fieldKind === "message" && field.oneof === undefined && isWrapper(child)) {
    const valueName = child.fields[0]!.localName;
    return {
      toMessage(local) {
        const message = create(child) as unknown as Fields;
        if (local !== undefined) message[valueName] = local;
        return message;
      },
      toLocal: (message) => message[valueName],
    };
  }
  return {
    toMessage: (local) => (local === undefined ? (create(child) as unknown as Fields) : (local as Fields)),
    toLocal: (message) => message,
  };
}

/** Reads a message-typed value into `child`: length-delimited, or a group for delimited encoding. */
function compileChild(field: DescField & { message: DescMessage }): (child: Fields, reader: WireReader, depth: number) => void {
  const child = field.message;
  let message: Compiled | undefined;
  if (field.delimitedEncoding) {
    const fieldNo = field.number;
    return (target, reader, depth) => (message ??= compileMessage(child)).readGroup(target, reader, depth, fieldNo);
  }
  return (target, reader, depth) => (message ??= compileMessage(child)).read(target, reader, depth, reader.uint32());
}

function compileMessageField(field: DescField & { fieldKind: "message" }): FieldReader {
  const localName = field.localName;
  const { toMessage, toLocal } = localMapper(field);
  const readChild = compileChild(field);
  if (field.oneof !== undefined) {
    const oneofName = field.oneof.localName;
    return (message, reader, depth) => {
      const oneof = message[oneofName] as { case?: string; value?: unknown };
      const child = toMessage(oneof.case === localName ? oneof.value : undefined);
      readChild(child, reader, depth);
      message[oneofName] = { case: localName, value: toLocal(child) };
    };
  }
  return (message, reader, depth) => {
    // A message field seen again merges into what is there.
    const child = toMessage(message[localName]);
    readChild(child, reader, depth);
    message[localName] = toLocal(child);
  };
}

function compileListField(field: DescField & { fieldKind: "list" }): FieldReader {
  const localName = field.localName;
  if (field.listKind === "message") {
    const { toMessage, toLocal } = localMapper(field);
    const readChild = compileChild(field);
    return (message, reader, depth) => {
      const child = toMessage(undefined);
      readChild(child, reader, depth);
      (message[localName] as unknown[]).push(toLocal(child));
    };
  }
  const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
  const longAsString = field.listKind === "scalar" ? field.longAsString : false;
  const read = scalarReader(type, field.utf8Validation, longAsString);
  const packable = type !== ScalarType.STRING && type !== ScalarType.BYTES;
  return (message, reader, _depth, wireType) => {
    const items = message[localName] as unknown[];
    // Either encoding is accepted, whatever the field declares.
    if (wireType === 2 && packable) {
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) items.push(read(reader));
    } else {
      items.push(read(reader));
    }
  };
}

function compileMapField(field: DescField & { fieldKind: "map" }): FieldReader {
  const localName = field.localName;
  const readKey = scalarReader(field.mapKey, field.utf8Validation, false);
  const keyZero = scalarZero(field.mapKey);
  let readValue: (reader: WireReader, depth: number, existing: unknown) => unknown;
  let valueDefault: () => unknown;
  switch (field.mapKind) {
    case "scalar": {
      const scalar = field.scalar;
      const read = scalarReader(scalar, field.utf8Validation, false);
      readValue = (reader) => read(reader);
      const zero = scalarZero(scalar);
      valueDefault = scalar === ScalarType.BYTES ? () => new Uint8Array(0) : () => zero;
      break;
    }
    case "enum": {
      const zero = field.enum.values[0]?.number;
      readValue = (reader) => reader.int32();
      valueDefault = () => zero;
      break;
    }
    case "message": {
      const { toMessage, toLocal } = localMapper(field);
      const childDesc = field.message;
      let child: Compiled | undefined;
      readValue = (reader, depth, existing) => {
        const value = toMessage(existing);
        (child ??= compileMessage(childDesc)).read(value, reader, depth, reader.uint32());
        return toLocal(value);
      };
      valueDefault = () => toLocal(toMessage(undefined));
      break;
    }
  }
  return (message, reader, depth) => {
    const record = message[localName] as Record<string, unknown>;
    let key: unknown;
    let value: unknown;
    const end = reader.uint32() + reader.pos;
    while (reader.pos < end) {
      const fieldNo = reader.tag();
      const wireType = reader.wireType;
      if (fieldNo === 1) key = readKey(reader);
      else if (fieldNo === 2) value = readValue(reader, depth, value);
      else reader.skip(wireType, fieldNo, RECURSION_LIMIT - depth);
    }
    setOwn(record, String(key ?? keyZero), value === undefined ? valueDefault() : value);
  };
}

/** A property that may be named `__proto__` (a map key) is defined, not assigned. */
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

function scalarReader(type: ScalarType, utf8Validation: boolean, longAsString: boolean): ScalarReader {
  switch (type) {
    case ScalarType.STRING:
      return (r) => r.string(utf8Validation);
    case ScalarType.BOOL:
      return (r) => r.bool();
    case ScalarType.DOUBLE:
      return (r) => r.double();
    case ScalarType.FLOAT:
      return (r) => r.float();
    case ScalarType.INT32:
      return (r) => r.int32();
    case ScalarType.INT64:
      return longAsString ? (r) => String(r.int64()) : (r) => r.int64();
    case ScalarType.UINT64:
      return longAsString ? (r) => String(r.uint64()) : (r) => r.uint64();
    case ScalarType.FIXED64:
      return longAsString ? (r) => String(r.fixed64()) : (r) => r.fixed64();
    case ScalarType.BYTES:
      return (r) => r.bytes();
    case ScalarType.FIXED32:
      return (r) => r.fixed32();
    case ScalarType.SFIXED32:
      return (r) => r.sfixed32();
    case ScalarType.SFIXED64:
      return longAsString ? (r) => String(r.sfixed64()) : (r) => r.sfixed64();
    case ScalarType.SINT64:
      return longAsString ? (r) => String(r.sint64()) : (r) => r.sint64();
    case ScalarType.UINT32:
      return (r) => r.uint32();
    case ScalarType.SINT32:
      return (r) => r.sint32();
  }
}

/** The zero value of a map key or value type (fromBinary's map defaults). */
function scalarZero(type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return protoInt64.zero;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    default:
      return 0;
  }
}

/** A varint's bytes, as a closed enum's unknown value is kept (negative: ten bytes). */
function varint32Bytes(value: number): Uint8Array {
  const bytes: number[] = [];
  if (value >= 0) {
    while (value > 0x7f) {
      bytes.push((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    bytes.push(value);
  } else {
    for (let i = 0; i < 9; i++) {
      bytes.push((value & 127) | 128);
      value = value >> 7;
    }
    bytes.push(1);
  }
  return new Uint8Array(bytes);
}

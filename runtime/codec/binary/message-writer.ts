/**
 * Compiles a message schema into a function that writes a message's binary
 * wire format into a ScratchWriter. It follows @bufbuild/protobuf's
 * `toBinary` rule for rule (fields in number order, presence, implicit zero
 * values, packed lists, maps, groups, unboxed wrapper fields, unknown fields
 * last) so the bytes are the same; what it changes is where they go (see
 * scratch-writer.ts).
 *
 * It also writes init objects (a `MessageInitShape`: no `$typeName`, fields
 * left out or null, messages inside as init objects too, bytes as number
 * arrays) as `toBinary(schema, create(schema, init))` would, without making
 * the message first.
 *
 * google.protobuf.Struct fields are kept as plain JSON objects by
 * @bufbuild/protobuf; a schema that reaches one is left to `toBinary`
 * (see reachesJsonField).
 */
import { ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { protoInt64 } from "@bufbuild/protobuf";
import { type ScratchWriter, WireType } from "./scratch-writer.js";

/** A message as the writer reads it: its fields by local name. */
export type MessageFields = { readonly [localName: string]: unknown };
export type MessageWriter = (writer: ScratchWriter, message: MessageFields) => void;
type ValueWriter = (writer: ScratchWriter, value: unknown) => void;
type FieldWriter = (writer: ScratchWriter, message: MessageFields) => void;
type UnknownField = { no: number; wireType: WireType; data: Uint8Array };

// google.protobuf.FeatureSet.FieldPresence
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;
const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((n) => `google.protobuf.${n}Value`),
);
const hasOwn = Object.prototype.hasOwnProperty;
const EMPTY: MessageFields = Object.freeze({});

const compiled = new WeakMap<DescMessage, MessageWriter>();

/** The writer of `desc`'s messages (for a schema that does not reach a JSON-kept field: see reachesJsonField). */
export function messageWriter(desc: DescMessage): MessageWriter {
  return compileMessage(desc);
}

/**
 * Does `desc`, or a message inside it, have a field whose values
 * @bufbuild/protobuf keeps as JSON (google.protobuf.Struct)? Such schemas are
 * left to toBinary and fromBinary.
 */
export function reachesJsonField(desc: DescMessage, seen = new Set<DescMessage>()): boolean {
  if (seen.has(desc)) return false;
  seen.add(desc);
  for (const field of desc.fields) {
    const child = field.message;
    if (child === undefined) continue;
    if (child.typeName === "google.protobuf.Struct" && desc.typeName !== "google.protobuf.Value") return true;
    if (reachesJsonField(child, seen)) return true;
  }
  return false;
}

function compileMessage(desc: DescMessage): MessageWriter {
  const existing = compiled.get(desc);
  if (existing !== undefined) return existing;
  const typeName = desc.typeName;
  const fields = desc.fields.concat().sort((a, b) => a.number - b.number);
  const first = fields[0];
  const writers: FieldWriter[] = [];
  const write: MessageWriter = (writer, message) => {
    const given = message.$typeName;
    // An init object has no $typeName; a message of another type is refused, as toBinary does.
    if (given !== typeName && given !== undefined && first !== undefined) {
      throw new Error(`cannot use ${String(first)} with message ${String(given)}`);
    }
    for (let i = 0; i < writers.length; i++) writers[i]!(writer, message);
    // create() does not copy unknown fields from an init object.
    const unknown = given === undefined ? undefined : (message.$unknown as readonly UnknownField[] | undefined);
    if (unknown !== undefined) {
      for (let i = 0; i < unknown.length; i++) {
        const { no, wireType, data } = unknown[i]!;
        writer.tag(no, wireType);
        writer.raw(data);
      }
    }
  };
  // Registered before its fields compile, so a recursive type finds itself.
  compiled.set(desc, write);
  for (const field of fields) writers.push(compileField(field));
  return write;
}

function compileField(field: DescField): FieldWriter {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
    case "message":
      return compileSingular(field);
    case "list":
      return compileList(field);
    case "map":
      return compileMap(field);
  }
}

function compileSingular(field: DescField & { fieldKind: "scalar" | "enum" | "message" }): FieldWriter {
  const writeValue = compileSingularValue(field);
  const localName = field.localName;
  if (field.oneof !== undefined) {
    const oneofName = field.oneof.localName;
    return (writer, message) => {
      const oneof = message[oneofName] as { case?: string; value?: unknown } | undefined | null;
      if (oneof != null && oneof.case === localName) writeValue(writer, oneof.value);
    };
  }
  if (field.presence !== IMPLICIT) {
    // Explicit presence: a message's proto2 defaults sit on its prototype, so only own properties are set
    // (an init object has no such defaults; null there means not set).
    const required = field.presence === LEGACY_REQUIRED ? `cannot encode ${String(field)} to binary: required field not set` : undefined;
    return (writer, message) => {
      const value = message[localName];
      if (value != null && (message.$typeName === undefined || hasOwn.call(message, localName))) writeValue(writer, value);
      else if (required !== undefined) throw new Error(required);
    };
  }
  const isSet = implicitIsSet(field as DescField & { fieldKind: "scalar" | "enum" });
  return (writer, message) => {
    const value = message[localName];
    // Left out of an init object (or null there): the zero value, not written.
    if (value != null && isSet(value)) writeValue(writer, value);
  };
}

/** For a field with implicit presence: is the value other than the zero value (which is not written)? */
function implicitIsSet(field: DescField & { fieldKind: "scalar" | "enum" }): (value: unknown) => boolean {
  if (field.fieldKind === "enum") {
    const zero = field.enum.values[0]?.number;
    return (value) => value !== zero;
  }
  switch (field.scalar) {
    case ScalarType.BOOL:
      return (value) => value !== false;
    case ScalarType.STRING:
      return (value) => value !== "";
    case ScalarType.BYTES:
      // An init object may give bytes as a number array.
      return (value) => (Array.isArray(value) ? value.length > 0 : !(value instanceof Uint8Array) || value.byteLength > 0);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      // Object.is tells -0 from 0: -0 is written.
      return (value) => !Object.is(value, 0);
    default:
      // Loose: 0, 0n and "0" are all zero.
      return (value) => value != 0;
  }
}

/** Writes the tag and the value of one singular field. */
function compileSingularValue(field: DescField & { fieldKind: "scalar" | "enum" | "message" }): ValueWriter {
  const fieldNo = field.number;
  if (field.fieldKind === "message") {
    const child = field.message;
    if (field.oneof === undefined && isWrapper(child)) {
      // Singular wrapper fields hold the bare value; the wrapper's own field 1 has implicit presence.
      const inner = child.fields[0] as DescField & { fieldKind: "scalar" };
      const innerIsSet = implicitIsSet(inner);
      const innerTag = tagOf(1, wireTypeOf(inner.scalar));
      const writeInner = compileScalar(inner.scalar, child.typeName, inner.name);
      const tag = tagOf(fieldNo, WireType.LengthDelimited);
      return (writer, value) => {
        writer.uint32(tag);
        writer.fork();
        if (innerIsSet(value)) {
          writer.uint32(innerTag);
          writeInner(writer, value);
        }
        writer.join();
      };
    }
    return compileChild(field);
  }
  const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
  const tag = tagOf(fieldNo, wireTypeOf(type));
  const writeScalar = compileScalar(type, field.parent.typeName, field.name);
  return (writer, value) => {
    writer.uint32(tag);
    writeScalar(writer, value);
  };
}

/** Writes a message-typed value with its tag: length-delimited, or as a group for delimited encoding. */
function compileChild(field: DescField & { message: DescMessage }): ValueWriter {
  const fieldNo = field.number;
  let writeMessage: MessageWriter | undefined;
  const child = field.message;
  if (field.delimitedEncoding) {
    const start = tagOf(fieldNo, WireType.StartGroup);
    const end = tagOf(fieldNo, WireType.EndGroup);
    return (writer, value) => {
      writer.uint32(start);
      (writeMessage ??= compileMessage(child))(writer, (value ?? EMPTY) as MessageFields);
      writer.uint32(end);
    };
  }
  const tag = tagOf(fieldNo, WireType.LengthDelimited);
  return (writer, value) => {
    writer.uint32(tag);
    writer.fork();
    // An oneof case with no value is an empty message, as toBinary writes it.
    (writeMessage ??= compileMessage(child))(writer, (value ?? EMPTY) as MessageFields);
    writer.join();
  };
}

function compileList(field: DescField & { fieldKind: "list" }): FieldWriter {
  const localName = field.localName;
  if (field.listKind === "message") {
    const writeChild = compileChild(field);
    return (writer, message) => {
      const items = message[localName] as readonly unknown[] | undefined | null;
      if (items == null) return;
      for (let i = 0; i < items.length; i++) writeChild(writer, items[i]);
    };
  }
  const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
  const writeScalar = compileScalar(type, field.parent.typeName, field.name);
  if (field.packed) {
    const tag = tagOf(field.number, WireType.LengthDelimited);
    return (writer, message) => {
      const items = message[localName] as readonly unknown[] | undefined | null;
      if (items == null || items.length === 0) return;
      writer.uint32(tag);
      writer.fork();
      for (let i = 0; i < items.length; i++) writeScalar(writer, items[i]);
      writer.join();
    };
  }
  const tag = tagOf(field.number, wireTypeOf(type));
  return (writer, message) => {
    const items = message[localName] as readonly unknown[] | undefined | null;
    if (items == null) return;
    for (let i = 0; i < items.length; i++) {
      writer.uint32(tag);
      writeScalar(writer, items[i]);
    }
  };
}

function compileMap(field: DescField & { fieldKind: "map" }): FieldWriter {
  const localName = field.localName;
  const entryTag = tagOf(field.number, WireType.LengthDelimited);
  const keyTag = tagOf(1, wireTypeOf(field.mapKey));
  const writeKey = compileScalar(field.mapKey, field.parent.typeName, field.name);
  const toKey = mapKeyConverter(field.mapKey);
  // The value is always field 2 of the entry, with its tag.
  let writeValue: ValueWriter;
  if (field.mapKind === "message") {
    const valueTag = tagOf(2, WireType.LengthDelimited);
    const child = field.message;
    let writeMessage: MessageWriter | undefined;
    writeValue = (writer, value) => {
      writer.uint32(valueTag);
      writer.fork();
      (writeMessage ??= compileMessage(child))(writer, value as MessageFields);
      writer.join();
    };
  } else {
    const type = field.mapKind === "enum" ? ScalarType.INT32 : field.scalar;
    const valueTag = tagOf(2, wireTypeOf(type));
    const writeScalar = compileScalar(type, field.parent.typeName, field.name);
    writeValue = (writer, value) => {
      writer.uint32(valueTag);
      writeScalar(writer, value);
    };
  }
  return (writer, message) => {
    const record = message[localName] as Record<string, unknown> | undefined | null;
    if (record == null) return;
    for (const key of Object.keys(record)) {
      writer.uint32(entryTag);
      writer.fork();
      writer.uint32(keyTag);
      writeKey(writer, toKey(key));
      writeValue(writer, record[key]);
      writer.join();
    }
  };
}

/** Map keys are object keys, so strings: back to the key's type (an invalid one goes on, for the writer to refuse). */
function mapKeyConverter(type: ScalarType): (key: string) => unknown {
  switch (type) {
    case ScalarType.STRING:
      return (key) => key;
    case ScalarType.BOOL:
      return (key) => (key === "true" ? true : key === "false" ? false : key);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return int64Key(protoInt64.uParse);
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return int64Key(protoInt64.parse);
    default: {
      return (key) => {
        const n = Number.parseInt(key);
        return Number.isFinite(n) ? n : key;
      };
    }
  }
}

/** A 64-bit map key from its string, or the string itself when it is no number (for the writer to refuse). */
function int64Key(parse: (value: string) => bigint): (key: string) => unknown {
  return (key) => {
    try {
      return parse(key);
    } catch {
      return key;
    }
  };
}

/** Writes a bare scalar (no tag); a value the type cannot hold throws, naming the field. */
function compileScalar(type: ScalarType, messageName: string, fieldName: string): ValueWriter {
  const write = scalarWriter(type);
  return (writer, value) => {
    try {
      write(writer, value);
    } catch (error) {
      if (error instanceof Error) throw new Error(`cannot encode field ${messageName}.${fieldName} to binary: ${error.message}`);
      throw error;
    }
  };
}

function scalarWriter(type: ScalarType): ValueWriter {
  switch (type) {
    case ScalarType.STRING:
      return (w, v) => w.string(v);
    case ScalarType.BOOL:
      return (w, v) => w.bool(v);
    case ScalarType.DOUBLE:
      return (w, v) => w.double(v);
    case ScalarType.FLOAT:
      return (w, v) => w.float(v);
    case ScalarType.INT32:
      return (w, v) => w.int32(v);
    case ScalarType.INT64:
      return (w, v) => w.int64(v);
    case ScalarType.UINT64:
      return (w, v) => w.uint64(v);
    case ScalarType.FIXED64:
      return (w, v) => w.fixed64(v);
    case ScalarType.BYTES:
      return (w, v) => {
        // An init object may give bytes as a number array, as create() takes it.
        if (Array.isArray(v)) w.bytes(new Uint8Array(v as number[]));
        else if (v instanceof Uint8Array) w.bytes(v);
        else throw new Error(`invalid bytes: ${typeof v}`);
      };
    case ScalarType.FIXED32:
      return (w, v) => w.fixed32(v);
    case ScalarType.SFIXED32:
      return (w, v) => w.sfixed32(v);
    case ScalarType.SFIXED64:
      return (w, v) => w.sfixed64(v);
    case ScalarType.SINT64:
      return (w, v) => w.sint64(v);
    case ScalarType.UINT32:
      return (w, v) => w.checkedUint32(v);
    case ScalarType.SINT32:
      return (w, v) => w.sint32(v);
  }
}

function wireTypeOf(type: ScalarType): WireType {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

function tagOf(fieldNo: number, wireType: WireType): number {
  return ((fieldNo << 3) | wireType) >>> 0;
}

/** A google.protobuf wrapper type, whose singular fields hold the bare value (@bufbuild/protobuf's isWrapperDesc). */
export function isWrapper(desc: DescMessage): boolean {
  const f = desc.fields[0];
  return WRAPPERS.has(desc.typeName) && f !== undefined && f.fieldKind === "scalar" && f.name === "value" && f.number === 1;
}

/**
 * protoCodec writes messages with its own compiled writer (runtime/codec/binary)
 * instead of toBinary. These tests hold it to toBinary byte for byte: random
 * messages of every field shape (proto2, proto3, editions; groups, packed and
 * expanded lists, maps of every key type, oneofs, wrappers, unknown fields and
 * extensions), real descriptors, big messages, and the values it must refuse.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  create,
  createFileRegistry,
  fromBinary,
  type DescField,
  type DescMessage,
  type FileRegistry,
  type Message,
  ScalarType,
  setExtension,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { protoCodec } from "tsgrpc";

const root = fileURLToPath(new URL("../..", import.meta.url));
let registry: FileRegistry;

before(() => {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-wire-"));
  try {
    const out = join(dir, "set.binpb");
    execFileSync(join(root, "node_modules/.bin/protoc"), [
      `-I${join(root, "test/runtime/protos")}`,
      "--include_imports",
      `--descriptor_set_out=${out}`,
      "wire_proto3.proto",
      "wire_proto2.proto",
      "wire_editions.proto",
    ]);
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  bigint(signed: boolean): bigint {
    const bits = (BigInt(this.int(2 ** 32)) << 32n) | BigInt(this.int(2 ** 32));
    return signed ? BigInt.asIntN(64, bits) : bits;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.pick([0, 1, 5, 64, 127, 128, 300, 2000]));
    for (let i = 0; i < out.length; i++) out[i] = this.int(256);
    return out;
  }
  string(): string {
    const ascii = () => Array.from({ length: this.int(60) }, () => String.fromCharCode(32 + this.int(95))).join("");
    return this.pick([
      "",
      "a",
      ascii(),
      ascii(),
      "héllo wörld",
      "日本語のテキスト",
      "emoji 🎉🚀 mixed",
      "lone \uD800 surrogate",
      "x".repeat(200),
      "é".repeat(70),
      "語".repeat(50),
    ]);
  }

  scalar(type: ScalarType, longAsString: boolean): unknown {
    switch (type) {
      case ScalarType.DOUBLE:
        return this.pick([0, -0, 1.5, -2.25e300, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, this.random() * 1e6 - 5e5]);
      case ScalarType.FLOAT:
        return this.pick([0, -0, Math.fround(1.1), Math.fround(3.4e38), Number.NaN, -Infinity, Math.fround(this.random() * 1000)]);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64: {
        const v = this.pick([0n, 1n, -1n, 127n, 128n, 2n ** 63n - 1n, -(2n ** 63n), this.bigint(true), this.bigint(true)]);
        return longAsString ? v.toString() : v;
      }
      case ScalarType.UINT64:
      case ScalarType.FIXED64: {
        const v = this.pick([0n, 1n, 2n ** 64n - 1n, 2n ** 35n, this.bigint(false)]);
        return longAsString ? v.toString() : v;
      }
      case ScalarType.INT32:
      case ScalarType.SINT32:
      case ScalarType.SFIXED32:
        return this.pick([0, 1, -1, 127, 128, -129, 2 ** 31 - 1, -(2 ** 31), this.int(2 ** 32) - 2 ** 31]);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return this.pick([0, 1, 127, 128, 16_384, 2 ** 32 - 1, this.int(2 ** 32)]);
      case ScalarType.BOOL:
        return this.chance(0.5);
      case ScalarType.STRING:
        return this.string();
      case ScalarType.BYTES:
        // create() also takes bytes as a number array.
        return this.chance(0.1) ? Array.from(this.bytes().subarray(0, 40)) : this.bytes();
    }
  }

  mapKey(type: ScalarType): string {
    switch (type) {
      case ScalarType.BOOL:
        return String(this.chance(0.5));
      case ScalarType.STRING:
        return this.string();
      default:
        return String(this.scalar(type, false));
    }
  }

  enumValue(field: DescField & { enum: { values: readonly { number: number }[]; open: boolean } }): number {
    if (field.enum.open && this.chance(0.1)) return 99;
    return this.pick(field.enum.values).number;
  }

  /** An init object for `desc`, `depth` levels of messages deep at most. */
  init(desc: DescMessage, depth: number): Record<string, unknown> {
    const init: Record<string, unknown> = {};
    for (const oneof of desc.oneofs) {
      if (!this.chance(0.7)) continue;
      const field = this.pick(oneof.fields);
      if (field.fieldKind === "message" && depth <= 0) continue;
      init[oneof.localName] = { case: field.localName, value: this.value(field, depth, true) };
    }
    for (const field of desc.fields) {
      if (field.oneof !== undefined) continue;
      const required = field.presence === 3;
      if (!required && !this.chance(0.6)) continue;
      const holdsMessages = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") || (field.fieldKind === "map" && field.mapKind === "message");
      if (holdsMessages && depth <= 0 && !required) continue;
      // Init objects may name a field and leave it unset.
      if (!required && this.chance(0.05)) init[field.localName] = this.pick([null, undefined]);
      else init[field.localName] = this.value(field, depth, false);
    }
    return init;
  }

  value(field: DescField, depth: number, inOneof: boolean): unknown {
    switch (field.fieldKind) {
      case "scalar":
        return this.scalar(field.scalar, field.longAsString);
      case "enum":
        return this.enumValue(field);
      case "message":
        if (!inOneof && isWrapper(field.message)) return this.scalar(field.message.fields[0]!.scalar!, false);
        return this.init(field.message, depth - 1);
      case "list": {
        const count = this.pick([0, 1, 3, 12]);
        return Array.from({ length: count }, () => {
          if (field.listKind === "message") return this.init(field.message, depth - 1);
          if (field.listKind === "enum") return this.enumValue(field);
          return this.scalar(field.scalar, field.longAsString);
        });
      }
      case "map": {
        const record: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) {
          const key = this.mapKey(field.mapKey);
          if (field.mapKind === "message") record[key] = this.init(field.message, depth - 1);
          else if (field.mapKind === "enum") record[key] = this.enumValue(field);
          else record[key] = this.scalar(field.scalar, false);
        }
        return record;
      }
    }
  }
}

function isWrapper(desc: DescMessage): boolean {
  return desc.typeName.startsWith("google.protobuf.") && desc.typeName.endsWith("Value") && desc.fields.length === 1 && desc.fields[0]!.name === "value";
}

/** Encodes `message` both ways and asserts the same bytes, and the frame around them. */
function assertSameBytes(desc: DescMessage, message: Message, label: string): void {
  const codec = protoCodec.forSchema(desc);
  const expected = toBinary(desc, message);
  const actual = codec.encode(message);
  if (Buffer.compare(Buffer.from(actual), Buffer.from(expected)) !== 0) {
    assert.fail(`${label}: ${desc.typeName} encodes differently\n  toBinary: ${Buffer.from(expected).toString("hex")}\n  ours:     ${Buffer.from(actual).toString("hex")}`);
  }
  if (codec.encodeFrame === undefined) return;
  const frame = codec.encodeFrame(message);
  assert.equal(frame[0], 0, label);
  assert.equal(frame.readUInt32BE(1), expected.byteLength, label);
  assert.ok(frame.subarray(5).equals(Buffer.from(expected)), `${label}: frame body`);
}

const MESSAGES = ["wiretest.v3.Scalars", "wiretest.v3.Lists", "wiretest.v3.Maps", "wiretest.v3.Tree", "wiretest.v3.WithStruct", "wiretest.v2.Legacy", "wiretest.ed.Delimited"];

describe("protoCodec's writer matches toBinary byte for byte", () => {
  for (const typeName of MESSAGES) {
    test(`random ${typeName} messages`, () => {
      const desc = registry.getMessage(typeName)!;
      assert.ok(desc, typeName);
      const seed = 0x5eed + typeName.length;
      const gen = new Gen(rng(seed));
      const codec = protoCodec.forSchema(desc);
      for (let i = 0; i < 200; i++) {
        const init = gen.init(desc, 3);
        const message = create(desc, init);
        assertSameBytes(desc, message, `seed ${seed} #${i}`);
        // The init object itself, written without create(): the same bytes.
        const fromInit = Buffer.from(codec.encode(init as never));
        if (!fromInit.equals(Buffer.from(toBinary(desc, message)))) {
          assert.fail(`seed ${seed} #${i}: ${typeName} from its init object encodes differently\n  init: ${inspect(init, { depth: 6 })}`);
        }
      }
    });
  }

  test("a schema with a google.protobuf.Struct field (a JSON object locally) is left to toBinary", () => {
    const desc = registry.getMessage("wiretest.v3.WithStruct")!;
    const codec = protoCodec.forSchema(desc);
    assert.equal(codec.encodeFrame, undefined);
    const message = create(desc, { s: { a: 1, b: [true, null, "x"], c: { d: "e" } }, name: "n" });
    assert.ok(Buffer.from(codec.encode(message)).equals(Buffer.from(toBinary(desc, message))));
  });

  test("proto2 defaults are not written unless set, groups and extensions are", () => {
    const desc = registry.getMessage("wiretest.v2.Legacy")!;
    const bare = create(desc, { id: 7 });
    assertSameBytes(desc, bare, "bare");
    assert.equal(Buffer.from(protoCodec.forSchema(desc).encode(bare)).toString("hex"), "0807");
    const full = create(desc, {
      id: 1,
      name: "unnamed", // the default, but set: written
      point: { x: 1, y: -1 },
      line: [{ label: "a" }, {}],
      next: { id: 2, next: { id: 3 } },
    });
    const note = registry.getExtension("wiretest.v2.note")!;
    const marks = registry.getExtension("wiretest.v2.marks")!;
    setExtension(full, note, "hello");
    setExtension(full, marks, [1, 2, 3]);
    assertSameBytes(desc, full, "full");
  });

  test("what is not an init object of this schema goes through create() first, as before", () => {
    const tree = registry.getMessage("wiretest.v3.Tree")!;
    const scalars = registry.getMessage("wiretest.v3.Scalars")!;
    const codec = protoCodec.forSchema(scalars);
    // A message of another type, read by create() as an init object: its fields with the same names are copied.
    const other = create(tree, { scalars: { fInt32: 1 } });
    const lookalike = { ...create(scalars, { fInt32: 9 }), $typeName: "wiretest.v3.Other" };
    assert.ok(Buffer.from(codec.encode(lookalike as never)).equals(Buffer.from(toBinary(scalars, create(scalars, lookalike as never)))));
    assert.ok(Buffer.from(protoCodec.forSchema(tree).encode(other)).equals(Buffer.from(toBinary(tree, other))));
    // An init object drops unknown fields (create() does not copy them); a message keeps them.
    const withUnknown = { fInt32: 5, $unknown: [{ no: 1000, wireType: 0, data: Uint8Array.of(1) }] };
    assert.ok(Buffer.from(codec.encode(withUnknown as never)).equals(Buffer.from(toBinary(scalars, create(scalars, withUnknown as never)))));
  });

  test("unknown fields are written after the known ones", () => {
    const desc = registry.getMessage("wiretest.v3.Scalars")!;
    const message = create(desc, { fInt32: 5, fString: "x" });
    message.$unknown = [
      { no: 1000, wireType: 0, data: Uint8Array.of(0x96, 0x01) },
      { no: 1001, wireType: 2, data: Uint8Array.of(3, 1, 2, 3) },
    ];
    assertSameBytes(desc, message, "unknown");
    const decoded = fromBinary(desc, protoCodec.forSchema(desc).encode(message));
    assert.equal(decoded.$unknown?.length, 2);
  });

  test("real descriptors (the files of this test, descriptor.proto among them) encode the same", () => {
    const codec = protoCodec.forSchema(FileDescriptorProtoSchema);
    let count = 0;
    for (const file of registry.files) {
      assertSameBytes(FileDescriptorProtoSchema, file.proto, file.name);
      assert.ok(codec.encode(file.proto).byteLength > 0);
      count++;
    }
    assert.ok(count >= 7, `${count} files`);
  });

  test("big messages: lengths past one byte, nested parts past 16 KiB, a 3 MiB message, then small ones again", () => {
    const desc = registry.getMessage("wiretest.v3.Tree")!;
    for (const size of [127, 128, 16_383, 16_384, 70_000, 3 * 1024 * 1024]) {
      const blob = new Uint8Array(size).fill(7);
      const message = create(desc, { left: { kind: { case: "blob", value: blob } }, children: [{ kind: { case: "name", value: "n".repeat(size % 1000) } }] });
      assertSameBytes(desc, message, `size ${size}`);
    }
    const small = create(desc, { kind: { case: "number", value: 3 } });
    assertSameBytes(desc, small, "small after big");
  });
});

describe("protoCodec's writer refuses what toBinary refuses", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ["an int32 that is not an integer", "wiretest.v3.Scalars", { fInt32: 1.5 }],
    ["a uint32 below zero", "wiretest.v3.Scalars", { fUint32: -1 }],
    ["a float too large for 32 bits", "wiretest.v3.Scalars", { fFloat: 1e39 }],
    ["a list holding a non-integer", "wiretest.v3.Lists", { lInt32: [1, 2.5] }],
    ["a map value out of range", "wiretest.v3.Maps", { mInt32: { "1": 2 ** 40 } }],
  ];
  for (const [what, typeName, init] of cases) {
    test(what, () => {
      const desc = registry.getMessage(typeName)!;
      const message = create(desc);
      Object.assign(message, init);
      const theirs = (() => {
        try {
          toBinary(desc, message);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      })();
      assert.ok(theirs !== undefined, "toBinary refuses it");
      assert.throws(() => protoCodec.forSchema(desc).encode(message), (error: Error) => {
        assert.equal(error.message, theirs);
        return true;
      });
    });
  }

  test("a required field not set", () => {
    const desc = registry.getMessage("wiretest.v2.Legacy")!;
    const message = create(desc);
    assert.throws(() => toBinary(desc, message), /required field not set/);
    assert.throws(() => protoCodec.forSchema(desc).encode(message), /cannot encode field wiretest.v2.Legacy.id to binary: required field not set/);
  });

  test("a message of another type in a message field", () => {
    const desc = registry.getMessage("wiretest.v3.Tree")!;
    const message = create(desc);
    (message as unknown as { left: unknown }).left = create(registry.getMessage("wiretest.v3.Scalars")!);
    assert.throws(() => toBinary(desc, message), /cannot use/);
    assert.throws(() => protoCodec.forSchema(desc).encode(message), /cannot use field wiretest.v3.Tree.* with message wiretest.v3.Scalars/);
  });
});

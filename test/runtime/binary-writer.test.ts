/**
 * protoCodec writes messages with its own compiled writer (runtime/codec/binary)
 * instead of toBinary. These tests hold it to toBinary byte for byte: random
 * messages of every field shape (proto2, proto3, editions; groups, packed and
 * expanded lists, maps of every key type, oneofs, wrappers, unknown fields and
 * extensions), real descriptors, big messages, and the values it must refuse.
 */
import { strict as assert } from "node:assert";
import { before, describe, test } from "node:test";
import { inspect } from "node:util";
import { create, type DescMessage, type FileRegistry, type Message, setExtension, toBinary, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { protoCodec } from "tsgrpc";
import { ScratchWriter } from "../../runtime/codec/binary/scratch-writer.js";
import { Gen, loadWireRegistry, MESSAGES, rng } from "./wire-fixtures.js";

let registry: FileRegistry;

before(() => {
  registry = loadWireRegistry();
});

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

describe("protoCodec's writer hands out views of a shared slab", () => {
  test("messages that cross from one slab into the next mid-way, inside nested parts, come out whole; earlier ones stay intact", () => {
    const desc = registry.getMessage("wiretest.v3.Tree")!;
    const codec = protoCodec.forSchema(desc);
    const kept: [Buffer, Uint8Array][] = [];
    // Sizes that do not divide 64 KiB, nested two deep, so slab ends fall inside open length-delimited parts.
    for (let i = 0; i < 120; i++) {
      const blob = new Uint8Array(900 + ((i * 337) % 2500)).fill(i);
      const message = create(desc, { left: { children: [{ kind: { case: "blob", value: blob } }], kind: { case: "name", value: `n${i}` } } });
      kept.push([codec.encodeFrame!(message), toBinary(desc, message)]);
    }
    for (const [i, [frame, expected]] of kept.entries()) {
      assert.equal(frame.readUInt32BE(1), expected.byteLength, `#${i}`);
      assert.ok(frame.subarray(5).equals(Buffer.from(expected)), `#${i} changed after later messages were written`);
    }
  });
});

describe("encode() and encodeFrame()", () => {
  test("encode() gives a buffer of its own; encodeFrame()'s frames share a slab, each left alone by the next", () => {
    const desc = registry.getMessage("wiretest.v3.Scalars")!;
    const codec = protoCodec.forSchema(desc);
    const own = codec.encode({ fString: "kept" });
    const first = codec.encodeFrame!({ fString: "one" });
    const second = codec.encodeFrame!({ fString: "two" });
    assert.notEqual(own.buffer, first.buffer);
    assert.equal(first.buffer, second.buffer, "small frames come from one slab");
    assert.ok(Buffer.from(own).equals(Buffer.from(toBinary(desc, create(desc, { fString: "kept" })))));
    assert.ok(first.subarray(5).equals(Buffer.from(toBinary(desc, create(desc, { fString: "one" })))));
  });
});

describe("ScratchWriter at the end of a slab", () => {
  test("a length-delimited part that ends right at the slab's end moves with its message and keeps its length", () => {
    for (let delta = 0; delta < 24; delta++) {
      const writer = new ScratchWriter();
      // A first message, so the second does not start at the slab's beginning (a move shifts its positions).
      writer.reset(0);
      writer.raw(Buffer.alloc(16, 0x33));
      const first = writer.finish();
      writer.reset(0);
      // Fill up to just short of the slab's end, then a 200-byte part (a two-byte length) that ends near it.
      const filler = Buffer.alloc(writer.buf.length - 16 - 212 + delta, 0x11);
      writer.raw(filler);
      writer.fork();
      writer.raw(Buffer.alloc(200, 0x22));
      writer.join();
      const out = writer.finish();
      const expected = Buffer.concat([filler, Buffer.from([0xc8, 0x01]), Buffer.alloc(200, 0x22)]);
      assert.ok(out.equals(expected), `delta ${delta}`);
      assert.ok(first.equals(Buffer.alloc(16, 0x33)), `delta ${delta}: the first message`);
    }
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

/**
 * protoCodec reads messages with its own compiled reader (runtime/codec/binary)
 * instead of fromBinary. These tests hold it to fromBinary: the same message
 * (deep-equal, unknown fields included) for random messages of every field
 * shape, and for the same inputs mangled (truncated, bytes flipped, bytes
 * inserted) either the same message or an error from both.
 */
import { strict as assert } from "node:assert";
import { before, describe, test } from "node:test";
import { create, type DescMessage, type FileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { protoCodec } from "tsgrpc";
import { Gen, loadWireRegistry, MESSAGES, rng } from "./wire-fixtures.js";

let registry: FileRegistry;

before(() => {
  registry = loadWireRegistry();
});

type Outcome = { message: unknown } | { error: string };

function outcome(read: () => unknown): Outcome {
  try {
    return { message: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Decodes `bytes` both ways; both must throw, or give deep-equal messages. Returns whether it decoded. */
function assertSameRead(desc: DescMessage, bytes: Uint8Array, label: string): boolean {
  const theirs = outcome(() => fromBinary(desc, bytes));
  const ours = outcome(() => protoCodec.forSchema(desc).decode(bytes));
  if ("error" in theirs || "error" in ours) {
    assert.ok("error" in theirs && "error" in ours, `${label}: fromBinary ${"error" in theirs ? `threw "${theirs.error}"` : "decoded"}, ours ${"error" in ours ? `threw "${ours.error}"` : "decoded"}\n  bytes: ${Buffer.from(bytes).toString("hex")}`);
    return false;
  }
  assert.deepStrictEqual(ours.message, theirs.message, `${label}: ${Buffer.from(bytes).toString("hex")}`);
  return true;
}

describe("protoCodec's reader matches fromBinary", () => {
  for (const typeName of MESSAGES) {
    test(`random ${typeName} messages, as Buffer and as Uint8Array`, () => {
      const desc = registry.getMessage(typeName)!;
      const seed = 0xdec0de + typeName.length;
      const gen = new Gen(rng(seed));
      for (let i = 0; i < 150; i++) {
        const bytes = toBinary(desc, create(desc, gen.init(desc, 3)));
        assert.ok(assertSameRead(desc, Buffer.from(bytes), `seed ${seed} #${i} (Buffer)`));
        assert.ok(assertSameRead(desc, new Uint8Array(bytes), `seed ${seed} #${i} (Uint8Array)`));
      }
    });

    test(`mangled ${typeName} messages: the same message or an error from both`, () => {
      const desc = registry.getMessage(typeName)!;
      const seed = 0xbad + typeName.length;
      const gen = new Gen(rng(seed));
      let decoded = 0;
      let refused = 0;
      for (let i = 0; i < 300; i++) {
        const bytes = Buffer.from(toBinary(desc, create(desc, gen.init(desc, 2))));
        if (bytes.length === 0) continue;
        let mangled: Buffer;
        switch (gen.int(3)) {
          case 0:
            mangled = bytes.subarray(0, gen.int(bytes.length));
            break;
          case 1:
            mangled = Buffer.from(bytes);
            for (let k = 1 + gen.int(3); k > 0; k--) mangled[gen.int(mangled.length)] = gen.int(256);
            break;
          default: {
            const at = gen.int(bytes.length + 1);
            const noise = Buffer.from(Array.from({ length: 1 + gen.int(6) }, () => gen.int(256)));
            mangled = Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)]);
          }
        }
        if (assertSameRead(desc, mangled, `seed ${seed} #${i}`)) decoded++;
        else refused++;
      }
      // Both kinds of outcome happened, so both were compared.
      assert.ok(decoded > 10 && refused > 10, `${decoded} decoded, ${refused} refused`);
    });
  }

  test("real descriptors decode the same", () => {
    for (const file of registry.files) assertSameRead(FileDescriptorProtoSchema, toBinary(FileDescriptorProtoSchema, file.proto), file.name);
  });

  test("wire shapes a writer of ours never makes: packed for expanded lists and back, repeated message fields merged, map entries missing key or value, closed enum values it does not know", () => {
    const legacy = registry.getMessage("wiretest.v2.Legacy")!;
    const delimited = registry.getMessage("wiretest.ed.Delimited")!;
    const maps = registry.getMessage("wiretest.v3.Maps")!;
    const tree = registry.getMessage("wiretest.v3.Tree")!;
    const hex = (h: string) => Buffer.from(h.replace(/ /g, ""), "hex");
    // Legacy.unpacked (6) sent packed, Legacy.packed (7) sent unpacked; id 1 set.
    assert.ok(assertSameRead(legacy, hex("08 01 32 03 01 02 03 38 05 38 06"), "packed/unpacked"));
    // Legacy.level (3, closed enum LOW=1 HIGH=2) = 7 and = -1: unknown fields.
    const closed = protoCodec.forSchema(legacy).decode(hex("08 01 18 07 18 ff ff ff ff ff ff ff ff ff 01"));
    assert.equal((closed as { $unknown?: unknown[] }).$unknown?.length, 2);
    assert.ok(assertSameRead(legacy, hex("08 01 18 07 18 ff ff ff ff ff ff ff ff ff 01"), "closed enum"));
    // Delimited.expanded (3) sent packed.
    assert.ok(assertSameRead(delimited, hex("1a 02 07 08 38 09"), "expanded sent packed"));
    // Maps.m_string (1): an entry with no key, one with no value, one empty.
    assert.ok(assertSameRead(maps, hex("0a 03 12 01 61 0a 03 0a 01 62 0a 00"), "map entries"));
    // Tree.left (1) twice: the second merges into the first.
    assert.ok(assertSameRead(tree, hex("0a 02 18 05 0a 04 f2 01 01 78"), "merged message field"));
    // Tree.w_int32 (44, an unboxed Int32Value) twice, and an unknown field 999.
    assert.ok(assertSameRead(tree, hex("e2 02 02 08 07 e2 02 00 b8 3e 01"), "wrapper and unknown"));
  });

  test("nesting past the recursion limit is refused by both", () => {
    const tree = registry.getMessage("wiretest.v3.Tree")!;
    // Tree.left (field 1) inside Tree.left, 120 deep, written by hand.
    let bytes = Buffer.alloc(0);
    for (let i = 0; i < 120; i++) {
      const length: number[] = [];
      for (let n = bytes.length; ; n >>>= 7) {
        if (n < 0x80) {
          length.push(n);
          break;
        }
        length.push((n & 0x7f) | 0x80);
      }
      bytes = Buffer.concat([Buffer.from([0x0a, ...length]), bytes]);
    }
    // The innermost 50 levels (two bytes each) alone are within the limit.
    assert.equal(assertSameRead(tree, bytes.subarray(bytes.length - 2 * 50), "50 deep"), true);
    assert.equal(assertSameRead(tree, bytes, "120 deep"), false);
    assert.throws(() => protoCodec.forSchema(tree).decode(bytes), /maximum recursion depth/);
  });

  test("invalid UTF-8: refused in a proto3 string, replaced in a proto2 one", () => {
    const scalars = registry.getMessage("wiretest.v3.Scalars")!;
    const legacy = registry.getMessage("wiretest.v2.Legacy")!;
    // Scalars.f_string (9) = ff fe
    assert.equal(assertSameRead(scalars, Buffer.from("4a02fffe", "hex"), "proto3"), false);
    // Legacy.name (2) = 61 ff 62
    assert.equal(assertSameRead(legacy, Buffer.from("0801120361ff62", "hex"), "proto2"), true);
    assert.equal((protoCodec.forSchema(legacy).decode(Buffer.from("0801120361ff62", "hex")) as unknown as { name: string }).name, "a\uFFFDb");
  });
});

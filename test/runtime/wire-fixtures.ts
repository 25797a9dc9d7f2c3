/**
 * What the protoCodec writer and reader tests share: the test protos (compiled
 * by protoc at test time) and a seeded generator of random init objects for
 * any message schema.
 */
import { fileURLToPath } from "node:url";
import { type DescField, type DescMessage, type FileRegistry, ScalarType } from "@bufbuild/protobuf";
import { compileDescriptors } from "./harness.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The message types of test/runtime/protos, one of each shape. */
export const MESSAGES = ["wiretest.v3.Scalars", "wiretest.v3.Lists", "wiretest.v3.Maps", "wiretest.v3.Tree", "wiretest.v3.WithStruct", "wiretest.v2.Legacy", "wiretest.ed.Delimited"];

/** test/runtime/protos/*.proto, compiled at test time, with their imports. */
export function loadWireRegistry(): FileRegistry {
  return compileDescriptors(`${root}test/runtime/protos`, ["wire_proto3.proto", "wire_proto2.proto", "wire_editions.proto"]);
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
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


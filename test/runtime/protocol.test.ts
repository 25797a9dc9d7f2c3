import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GrpcError, Status } from "tsgrpc";
import { MessageDecoder, frameMessage } from "../../runtime/protocol/framing.js";
import { decodeStatusMessage, encodeStatusMessage } from "../../runtime/protocol/status-message.js";
import { encodeTimeout, parseTimeout } from "../../runtime/protocol/timeout.js";
import { codeFromHttpStatus } from "../../runtime/protocol/http-status.js";

function collect(limit = 1 << 20) {
  const out: string[] = [];
  const decoder = new MessageDecoder(limit, (bytes) => out.push(Buffer.from(bytes).toString()));
  return { out, decoder };
}

describe("framing", () => {
  it("frames a message with a 5-byte prefix", () => {
    const framed = frameMessage(Buffer.from("abc"));
    assert.deepEqual([...framed], [0, 0, 0, 0, 3, 97, 98, 99]);
  });

  it("decodes messages split across chunks at every byte", () => {
    const all = Buffer.concat([frameMessage(Buffer.from("hello")), frameMessage(Buffer.alloc(0)), frameMessage(Buffer.from("world!"))]);
    for (let split = 0; split <= all.length; split++) {
      const { out, decoder } = collect();
      decoder.push(all.subarray(0, split));
      decoder.push(all.subarray(split));
      assert.deepEqual(out, ["hello", "", "world!"], `split at ${split}`);
      assert.ok(decoder.idle);
    }
    const { out, decoder } = collect();
    for (const byte of all) decoder.push(Buffer.from([byte]));
    assert.deepEqual(out, ["hello", "", "world!"]);
  });

  it("reports a partial message as not idle", () => {
    const { decoder } = collect();
    decoder.push(frameMessage(Buffer.from("hello")).subarray(0, 7));
    assert.equal(decoder.idle, false);
  });

  it("rejects an oversized message from its prefix alone", () => {
    const { decoder } = collect(10);
    const prefix = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]); // claims 2 GiB, carries nothing
    assert.throws(() => decoder.push(prefix), (e: unknown) => e instanceof GrpcError && e.code === Status.RESOURCE_EXHAUSTED && /2147483647 vs. 10/.test(e.message));
  });

  it("rejects reserved flag bits", () => {
    const { decoder } = collect();
    assert.throws(() => decoder.push(Buffer.from([0x80, 0, 0, 0, 0])), (e: unknown) => e instanceof GrpcError && e.code === Status.INTERNAL);
  });
});

describe("grpc-message", () => {
  it("percent-encodes non-printable and non-ASCII bytes and %", () => {
    assert.equal(encodeStatusMessage("plain text"), "plain text");
    assert.equal(encodeStatusMessage("50%\n"), "50%25%0A");
    assert.equal(encodeStatusMessage("☺"), "%E2%98%BA");
  });

  it("round-trips any text", () => {
    const text = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
    assert.equal(decodeStatusMessage(encodeStatusMessage(text)), text);
  });

  it("decodes leniently", () => {
    assert.equal(decodeStatusMessage("100%"), "100%");
    assert.equal(decodeStatusMessage("%zz%4"), "%zz%4");
    assert.equal(decodeStatusMessage("%FF"), "\uFFFD");
  });
});

describe("grpc-timeout", () => {
  it("uses at most 8 digits and the finest unit that fits", () => {
    assert.equal(encodeTimeout(1), "1000000n");
    assert.equal(encodeTimeout(99), "99000000n");
    assert.equal(encodeTimeout(100), "100000u");
    assert.equal(encodeTimeout(1.5), "1500000n");
    assert.equal(encodeTimeout(100_000), "100000m");
    assert.equal(encodeTimeout(200_000_000), "200000S");
    assert.equal(encodeTimeout(1e14), "27777778H");
    assert.equal(encodeTimeout(Number.MAX_SAFE_INTEGER), "99999999H");
    for (const ms of [1, 7, 99, 100, 12_345, 3_600_000, 1e9]) {
      const wire = encodeTimeout(ms);
      assert.ok(/^\d{1,8}[HMSmun]$/.test(wire), wire);
      assert.ok(parseTimeout(wire)! >= ms, `${ms} -> ${wire} must not shrink`);
    }
  });

  it("parses valid values and rejects malformed ones", () => {
    assert.equal(parseTimeout("1S"), 1000);
    assert.equal(parseTimeout("2M"), 120_000);
    assert.equal(parseTimeout("5m"), 5);
    for (const bad of ["", "1", "S", "123456789S", "1s", "-1S", "1.5S", "1 S"]) assert.equal(parseTimeout(bad), undefined, bad);
  });
});

describe("HTTP status mapping", () => {
  it("follows the spec's table", () => {
    assert.equal(codeFromHttpStatus(400), Status.INTERNAL);
    assert.equal(codeFromHttpStatus(401), Status.UNAUTHENTICATED);
    assert.equal(codeFromHttpStatus(403), Status.PERMISSION_DENIED);
    assert.equal(codeFromHttpStatus(404), Status.UNIMPLEMENTED);
    for (const s of [429, 502, 503, 504]) assert.equal(codeFromHttpStatus(s), Status.UNAVAILABLE);
    assert.equal(codeFromHttpStatus(500), Status.UNKNOWN);
  });
});

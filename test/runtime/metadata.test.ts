import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata } from "tsgrpc";

describe("Metadata", () => {
  it("is a case-insensitive multimap", () => {
    const md = new Metadata({ "X-Trace": "a" });
    md.append("x-trace", "b");
    assert.equal(md.get("X-TRACE"), "a");
    assert.deepEqual(md.getAll("x-trace"), ["a", "b"]);
    md.set("x-trace", "c");
    assert.deepEqual(md.getAll("x-trace"), ["c"]);
    assert.ok(md.delete("X-Trace"));
    assert.equal(md.has("x-trace"), false);
  });

  it("holds bytes under -bin keys and writes them as unpadded base64", () => {
    const md = new Metadata().set("trace-bin", new Uint8Array([1, 2, 3, 4]));
    const headers: import("node:http2").OutgoingHttpHeaders = {};
    md.writeHeaders(headers);
    assert.equal(headers["trace-bin"], "AQIDBA");
    const back = Metadata.fromHeaders({ "trace-bin": "AQIDBA==, AQI" });
    assert.deepEqual(back.getAll("trace-bin").map((b) => [...b]), [[1, 2, 3, 4], [1, 2]]);
  });

  it("rejects reserved keys, bad keys and bad values", () => {
    const md = new Metadata();
    for (const key of ["grpc-status", "grpc-timeout", ":path", "connection", "te", "content-type", "bad key", "ünï"]) {
      assert.throws(() => md.set(key, "x"), TypeError, key);
    }
    assert.throws(() => md.set("x", "line\nbreak"), /printable ASCII/);
    assert.throws(() => md.set("x-bin" as string, "text"), /Uint8Array/);
  });

  it("skips protocol headers when reading received headers", () => {
    const md = Metadata.fromHeaders({ ":path": "/a/b", "content-type": "application/grpc", "grpc-timeout": "1S", te: "trailers", "x-user": "u" });
    assert.deepEqual([...md.keys()], ["x-user"]);
  });
});

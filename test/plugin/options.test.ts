/**
 * Tests of the plugin run in-process (from source, through tsx): its options,
 * what it emits for which target, and the member names it gives rpcs. The
 * CodeGeneratorRequest is built from a descriptor set that protoc compiles
 * from test/protos once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import { plugin } from "../../plugin/plugin.js";
import { memberName } from "../../runtime/service/member-name.js";
import { npmProtoc, protoFiles, protosDir, root, run } from "./harness.js";

let descriptorSet: FileDescriptorSet;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-plugin-options-"));
  try {
    const out = join(dir, "set.binpb");
    await run(npmProtoc, [`-I${protosDir}`, "--include_imports", "--include_source_info", `--descriptor_set_out=${out}`, ...protoFiles(protosDir)]);
    descriptorSet = fromBinary(FileDescriptorSetSchema, readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the plugin on some of the test protos; returns the generated files by name. */
function generate(parameter: string, files = ["helloworld/helloworld.proto"]): Map<string, string> {
  const request = create(CodeGeneratorRequestSchema, { fileToGenerate: files, parameter, protoFile: descriptorSet.file });
  const response = plugin.run(request);
  assert.equal(response.error, "", "the response reports an error");
  return new Map(response.file.map((f) => [f.name ?? "", f.content ?? ""]));
}

function generateOne(parameter: string, name: string, files?: string[]): string {
  const content = generate(parameter, files).get(name);
  assert.ok(content !== undefined, `${name} was not generated`);
  return content;
}

describe("target", () => {
  test("defaults to ts (not protoplugin's js+dts), and says so in the preamble", () => {
    const files = generate("");
    assert.deepEqual([...files.keys()], ["helloworld/helloworld_grpc.ts"]);
    assert.match(files.get("helloworld/helloworld_grpc.ts") ?? "", /with parameter "target=ts"/);
  });

  test("is added after the other options", () => {
    const content = generateOne("import_extension=js", "helloworld/helloworld_grpc.ts");
    assert.match(content, /with parameter "import_extension=js,target=ts"/);
  });

  test("js+dts emits JavaScript and declarations", () => {
    assert.deepEqual([...generate("target=js+dts").keys()], ["helloworld/helloworld_grpc.js", "helloworld/helloworld_grpc.d.ts"]);
  });

  test("ts+js+dts emits all three", () => {
    assert.deepEqual(
      [...generate("target=ts+js+dts").keys()].sort(),
      ["helloworld/helloworld_grpc.d.ts", "helloworld/helloworld_grpc.js", "helloworld/helloworld_grpc.ts"],
    );
  });

  test("js is JavaScript: no type annotations, no abstract members", () => {
    const js = generateOne("target=js", "helloworld/helloworld_grpc.js");
    assert.doesNotMatch(js, /import type|abstract|readonly|: CallOptions|\?:/);
    assert.match(js, /^export class GreeterBase \{$/m);
    assert.match(js, /^ {2}sayHello\(request, options\) \{$/m);
  });

  test("a file without services emits nothing", () => {
    assert.deepEqual([...generate("", ["messages_only/messages_only.proto", "common/types.proto"]).keys()], []);
  });
});

describe("unimplemented", () => {
  const throwsUnimplemented = /throw new GrpcError\(Status\.UNIMPLEMENTED, "Method helloworld\.Greeter\.SayHello is not implemented"\);/;

  for (const parameter of ["unimplemented", "unimplemented=true", "unimplemented=1"]) {
    test(`${parameter} gives methods that throw UNIMPLEMENTED`, () => {
      const content = generateOne(parameter, "helloworld/helloworld_grpc.ts");
      assert.match(content, throwsUnimplemented);
      assert.match(content, /^ {2}async \*lotsOfReplies\(_request: HelloRequest, _call: ServerCall\)/m);
      assert.doesNotMatch(content, /abstract sayHello/);
    });
  }

  for (const parameter of ["", "unimplemented=false", "unimplemented=0"]) {
    test(`${JSON.stringify(parameter)} gives abstract methods`, () => {
      const content = generateOne(parameter, "helloworld/helloworld_grpc.ts");
      assert.match(content, /^ {2}abstract sayHello\(request: HelloRequest, call: ServerCall\)/m);
      assert.doesNotMatch(content, /GrpcError|Status/);
    });
  }

  test("an invalid value is an error that names the option", () => {
    assert.throws(() => generate("unimplemented=maybe"), { message: 'invalid option "unimplemented=maybe": expected true or false' });
  });
});

test("an unknown option is an error that names it", () => {
  assert.throws(() => generate("import_extension=js,colour=blue"), { message: /^invalid option "colour=blue": unknown option/ });
});

describe("imports", () => {
  test("import_extension applies to the _pb import, as in protoc-gen-es", () => {
    assert.match(generateOne("", "helloworld/helloworld_grpc.ts"), /from "\.\/helloworld_pb";/);
    assert.match(generateOne("import_extension=js", "helloworld/helloworld_grpc.ts"), /from "\.\/helloworld_pb\.js";/);
    assert.match(generateOne("import_extension=ts", "helloworld/helloworld_grpc.ts"), /from "\.\/helloworld_pb\.ts";/);
  });

  test("types from other files and packages come from their _pb files, well-known types from @bufbuild/protobuf/wkt", () => {
    const store = generateOne("import_extension=js", "crosspkg/store_grpc.ts", ["crosspkg/store.proto"]);
    assert.match(store, /^import type \{ Id, IdSchema, Page, PageSchema \} from "\.\.\/common\/types_pb\.js";$/m);
    assert.match(store, /^import type \{ Record, RecordSchema \} from "\.\/records_pb\.js";$/m);
    const wkt = generateOne("import_extension=js", "wkt/wkt_grpc.ts", ["wkt/wkt.proto"]);
    assert.match(wkt, /from "@bufbuild\/protobuf\/wkt";$/m);
  });

  test("only what is used is imported", () => {
    const empty = generateOne("", "empty/empty_grpc.ts", ["empty/empty.proto"]);
    assert.match(empty, /^import type \{ CallOptions, Channel, ServiceImplementation \} from "tsgrpc";$/m);
    assert.match(empty, /^import \{ serviceDescriptor \} from "tsgrpc";$/m);
    assert.doesNotMatch(empty, /ServiceClient|MessageInitShape|GrpcError/);
  });

  test("js_import_style=legacy_commonjs uses require() and exports", () => {
    const js = generateOne("target=js,js_import_style=legacy_commonjs", "helloworld/helloworld_grpc.js");
    assert.match(js, /^const \{ ServiceClient, serviceDescriptor \} = require\("tsgrpc"\);$/m);
    assert.match(js, /^exports\.GreeterClient = GreeterClient;$/m);
  });

  test("names that clash with imports get an alias", () => {
    const content = generateOne("unimplemented=true", "clashing/clashing_grpc.ts", ["clashing/clashing.proto"]);
    assert.match(content, /^import \{ Clashing, Status as Status\$1 \} from "\.\/clashing_pb";$/m);
    assert.match(content, /ServiceClient as ServiceClient\$1/);
    assert.match(content, /^ {2}readonly \[serviceDescriptor\] = Status\$1;$/m);
  });
});

describe("member names", () => {
  test("come from memberName(), in the base class, the client and open; descriptors are looked up by localName", () => {
    const registry = createFileRegistry(descriptorSet);
    const service = registry.getService("test.clashing.Clashing");
    assert.ok(service);
    const content = generateOne("", "clashing/clashing_grpc.ts", ["clashing/clashing.proto"]);
    for (const method of service.methods) {
      const name = memberName(method);
      assert.match(content, new RegExp(`^  abstract ${escape(name)}\\(`, "m"), `base class member ${name}`);
      assert.match(content, new RegExp(`^  ${escape(name)}\\(`, "m"), `client member ${name}`);
      assert.match(content, new RegExp(`^    ${escape(name)}: \\(options\\?: CallOptions\\)`, "m"), `open member ${name}`);
      assert.match(content, new RegExp(`Clashing\\.method\\.${escape(method.localName)}, `), `descriptor of ${method.name}`);
    }
    // Nothing can make instances thenable or hide `open`.
    assert.doesNotMatch(content, /^ {2}(abstract )?(then|open)\(/m);
    assert.doesNotMatch(content, /^ {4}(then|open):/m);
  });
});

test("the version is the one in package.json", () => {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  assert.equal(plugin.version, `v${version}`);
  assert.equal(plugin.name, "protoc-gen-tsgrpc");
});

test("timing: generating all test protos in-process", (t) => {
  const files = protoFiles(protosDir);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    generate("import_extension=js", files);
    times.push(performance.now() - start);
  }
  t.diagnostic(`plugin.run() on ${files.length} files: ${times.map((ms) => ms.toFixed(1)).join(" ms, ")} ms`);
});

function escape(s: string): string {
  return s.replace(/[$()*+.?[\\\]^{|}]/g, "\\$&");
}

// The interop test cases on our generated client (the "Client" section of
// grpc/grpc doc/interop-test-descriptions.md). Each case throws on failure.
import assert from "node:assert/strict";
import { GrpcError, Status, type Channel, type Metadata } from "tsgrpc";
import { TestServiceClient, UnimplementedServiceClient } from "../../examples/gen/grpc/testing/test_grpc.js";
import type { CaseName, CompressionCaseName, ExtraCaseName } from "./args.js";

/** Request payload sizes of client_streaming and ping_pong. */
export const REQUEST_SIZES = [27182, 8, 1828, 45904];
/** Response payload sizes of server_streaming and ping_pong. */
export const RESPONSE_SIZES = [31415, 9, 2653, 58979];
export const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";

const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";

/** The time one call may take before it fails with DEADLINE_EXCEEDED, so no case can hang. */
export const CALL_TIMEOUT_MS = 10_000;

interface Clients {
  readonly test: TestServiceClient;
  readonly unimplemented: UnimplementedServiceClient;
}

const zeros = (size: number) => new Uint8Array(size);

const cases: Record<CaseName | ExtraCaseName | CompressionCaseName, (clients: Clients) => Promise<void>> = {
  async empty_unary({ test }) {
    const response = await test.emptyCall({});
    assert.equal(response.$typeName, "grpc.testing.Empty");
  },

  async large_unary({ test }) {
    const response = await test.unaryCall({ responseSize: 314159, payload: { body: zeros(271828) } });
    assertZeros(response.payload?.body, 314159);
  },

  async client_streaming({ test }) {
    const response = await test.streamingInputCall(REQUEST_SIZES.map((size) => ({ payload: { body: zeros(size) } })));
    assert.equal(response.aggregatedPayloadSize, 74922);
  },

  async server_streaming({ test }) {
    const responses = test.streamingOutputCall({ responseParameters: RESPONSE_SIZES.map((size) => ({ size })) });
    const sizes: number[] = [];
    for await (const response of responses) {
      assertZeros(response.payload?.body, RESPONSE_SIZES[sizes.length] ?? 0);
      sizes.push(response.payload?.body.byteLength ?? 0);
    }
    assert.deepEqual(sizes, RESPONSE_SIZES);
    assert.equal((await responses.status).code, Status.OK);
  },

  async ping_pong({ test }) {
    await using call = test.open.fullDuplexCall();
    for (const [i, size] of RESPONSE_SIZES.entries()) {
      await call.send({ responseParameters: [{ size }], payload: { body: zeros(REQUEST_SIZES[i]!) } });
      const response = await call.receive();
      assert.ok(response !== undefined, `the server ended the stream after ${i} of 4 responses`);
      assertZeros(response.payload?.body, size);
    }
    call.end();
    assert.equal(await call.receive(), undefined, "more than four responses");
    assert.equal((await call.status).code, Status.OK);
  },

  async empty_stream({ test }) {
    const responses = test.fullDuplexCall([]);
    let count = 0;
    for await (const _ of responses) count++;
    assert.equal(count, 0, "expected no responses");
    assert.equal((await responses.status).code, Status.OK);
  },

  async status_code_and_message({ test }) {
    const responseStatus = { code: 2, message: "test status message" };
    await expectStatus(test.unaryCall({ responseStatus }), 2, "test status message");

    await using call = test.open.fullDuplexCall();
    await call.send({ responseStatus });
    call.end();
    await expectStatus(call.receive(), 2, "test status message");
    const status = await call.status;
    assert.equal(status.code, 2);
    assert.equal(status.message, "test status message");
  },

  async special_status_message({ test }) {
    const responseStatus = { code: 2, message: SPECIAL_STATUS_MESSAGE };
    await expectStatus(test.unaryCall({ responseStatus }), 2, SPECIAL_STATUS_MESSAGE);
  },

  async unimplemented_method({ test }) {
    await expectStatus(test.unimplementedCall({}), Status.UNIMPLEMENTED);
  },

  async unimplemented_service({ unimplemented }) {
    await expectStatus(unimplemented.unimplementedCall({}), Status.UNIMPLEMENTED);
  },

  // Extra cases, run by name.

  async custom_metadata({ test }) {
    const metadata = { [ECHO_INITIAL]: "test_initial_metadata_value", [ECHO_TRAILING]: new Uint8Array([0xab, 0xab, 0xab]) };
    let headers: Metadata | undefined;
    let trailers: Metadata | undefined;
    const response = await test.unaryCall(
      { responseSize: 314159, payload: { body: zeros(271828) } },
      { metadata, onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) },
    );
    assertZeros(response.payload?.body, 314159);
    assertEchoed(headers, trailers, "UnaryCall");

    await using call = test.open.fullDuplexCall({ metadata });
    await call.send({ responseParameters: [{ size: 314159 }], payload: { body: zeros(271828) } });
    call.end();
    let count = 0;
    for await (const r of call) {
      assertZeros(r.payload?.body, 314159);
      count++;
    }
    assert.equal(count, 1);
    assertEchoed(await call.headers, await call.trailers, "FullDuplexCall");
  },

  async cancel_after_begin({ test }) {
    const call = test.open.streamingInputCall();
    call.cancel();
    assert.equal((await call.status).code, Status.CANCELLED);
  },

  async cancel_after_first_response({ test }) {
    const call = test.open.fullDuplexCall();
    await call.send({ responseParameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
    assertZeros((await call.receive())?.payload?.body, 31415);
    call.cancel();
    assert.equal((await call.status).code, Status.CANCELLED);
  },

  // Compression cases: requests compressed per call (`compression`) and per message (`send(m, { compress })`);
  // the compressed flag of each response read with `wasCompressed()`.

  async client_compressed_unary({ test }) {
    const request = (expect: boolean) => ({ expectCompressed: { value: expect }, responseSize: 314159, payload: { body: zeros(271828) } });
    // The probe: a server with CompressedRequest refuses an uncompressed request that expects compression.
    await expectStatus(test.unaryCall(request(true)), Status.INVALID_ARGUMENT);
    assertZeros((await test.unaryCall(request(true), { compression: "gzip" })).payload?.body, 314159);
    assertZeros((await test.unaryCall(request(false))).payload?.body, 314159);
  },

  async server_compressed_unary({ test }) {
    for (const compressed of [true, false]) {
      await using call = test.open.unaryCall();
      await call.send({ responseCompressed: { value: compressed }, responseSize: 314159, payload: { body: zeros(271828) } });
      call.end();
      const response = await call.receive();
      assert.ok(response !== undefined, "no response");
      assertZeros(response.payload?.body, 314159);
      assert.equal(call.wasCompressed(response), compressed, `response_compressed ${compressed}: the compressed flag is ${!compressed}`);
    }
  },

  async client_compressed_streaming({ test }) {
    {
      await using probe = test.open.streamingInputCall();
      await probe.send({ expectCompressed: { value: true }, payload: { body: zeros(27182) } });
      probe.end();
      await expectStatus(probe.receive(), Status.INVALID_ARGUMENT);
    }
    await using call = test.open.streamingInputCall({ compression: "gzip" });
    await call.send({ expectCompressed: { value: true }, payload: { body: zeros(27182) } });
    await call.send({ expectCompressed: { value: false }, payload: { body: zeros(45904) } }, { compress: false });
    call.end();
    const response = await call.receive();
    assert.equal(response?.aggregatedPayloadSize, 73086);
  },

  async server_compressed_streaming({ test }) {
    await using call = test.open.streamingOutputCall();
    await call.send({
      responseParameters: [
        { compressed: { value: true }, size: 31415 },
        { compressed: { value: false }, size: 92653 },
      ],
    });
    call.end();
    const flags: boolean[] = [];
    const sizes: number[] = [];
    for await (const response of call) {
      assertZeros(response.payload?.body, [31415, 92653][sizes.length] ?? 0);
      sizes.push(response.payload?.body.byteLength ?? 0);
      flags.push(call.wasCompressed(response));
    }
    assert.deepEqual(sizes, [31415, 92653]);
    assert.deepEqual(flags, [true, false], "compressed flags of the two responses");
    assert.equal((await call.status).code, Status.OK);
  },

  async timeout_on_sleeping_server({ test }) {
    const call = test.open.fullDuplexCall({ timeout: 1 });
    try {
      await call.send({ payload: { body: zeros(27182) } });
    } catch {
      // The deadline may pass before the message goes out; the status says so.
    }
    const status = await call.status;
    assert.equal(status.code, Status.DEADLINE_EXCEEDED, `status ${status.code}: ${status.message}`);
  },
};

/** Runs one case on `channel`. Every call in it has a CALL_TIMEOUT_MS deadline. */
export async function runCase(name: CaseName | ExtraCaseName | CompressionCaseName, channel: Channel): Promise<void> {
  const options = { timeout: CALL_TIMEOUT_MS };
  await cases[name]({
    test: new TestServiceClient(channel, options),
    unimplemented: new UnimplementedServiceClient(channel, options),
  });
}

function assertZeros(body: Uint8Array | undefined, size: number): void {
  assert.ok(body !== undefined, "response has no payload");
  assert.equal(body.byteLength, size, `payload is ${body.byteLength} bytes, expected ${size}`);
  assert.ok(
    body.every((b) => b === 0),
    "payload is not all zeros",
  );
}

function assertEchoed(headers: Metadata | undefined, trailers: Metadata | undefined, method: string): void {
  assert.equal(headers?.get(ECHO_INITIAL), "test_initial_metadata_value", `${method}: ${ECHO_INITIAL} not echoed in the headers`);
  const trailing = trailers?.get(ECHO_TRAILING);
  assert.ok(trailing !== undefined, `${method}: ${ECHO_TRAILING} not echoed in the trailers`);
  assert.deepEqual([...trailing], [0xab, 0xab, 0xab], `${method}: wrong ${ECHO_TRAILING} value`);
}

/** Awaits a call that must fail with `code` (and `message`, when given). */
async function expectStatus(call: Promise<unknown>, code: Status, message?: string): Promise<void> {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `the call succeeded, expected status ${code}`);
  assert.ok(error instanceof GrpcError, `expected a GrpcError, got ${String(error)}`);
  assert.equal(error.code, code, `expected status ${code}, got ${error.code} (${JSON.stringify(error.rawMessage)})`);
  if (message !== undefined) assert.equal(error.rawMessage, message, "wrong status message");
}

// The interop test cases on @grpc/grpc-js, the reference peer for our server.
// Same cases and expectations as cases.ts, written the way a grpc-js user would.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { CaseName, ClientTls } from "./args.js";

/**
 * The extra cases this client runs by name (see EXTRA_CASE_NAMES): the server's metadata echo, and the
 * compression cases. grpc-js compresses per channel (`grpc.default_compression_algorithm`) and turns it off
 * per message (write flag NoCompress), but tells no one whether a response arrived compressed: its
 * server_compressed_* cases check that it reads what the server sends, not the flags.
 */
export const GRPC_JS_EXTRA_CASE_NAMES = [
  "custom_metadata",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
  "client_compressed_unary",
  "server_compressed_unary",
  "client_compressed_streaming",
  "server_compressed_streaming",
] as const;
export type GrpcJsExtraCaseName = (typeof GRPC_JS_EXTRA_CASE_NAMES)[number];
import {
  testMethod,
  unimplementedServiceCall,
  type SimpleResponse,
  type StreamingInputCallRequest,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
} from "./grpc-js-proto.js";

const REQUEST_SIZES = [27182, 8, 1828, 45904];
const RESPONSE_SIZES = [31415, 9, 2653, 58979];
const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";
/** The deadline of every call, so no case can hang. */
const CALL_TIMEOUT_MS = 10_000;

const zeros = (size: number) => Buffer.alloc(size);
const options = (): grpc.CallOptions => ({ deadline: Date.now() + CALL_TIMEOUT_MS });

/** grpc-js's CompressionAlgorithms.gzip, for `grpc.default_compression_algorithm`. */
const GZIP = 2;
/** grpc-js's WriteFlags.NoCompress: this message goes uncompressed. */
const NO_COMPRESS = 2;

/** Runs interop cases with a grpc-js client (one channel, and one compressing with gzip) to `target` (`host:port`). */
export class GrpcJsCases {
  readonly #target: string;
  readonly #client: grpc.Client;
  readonly #credentials: grpc.ChannelCredentials;
  readonly #options: grpc.ChannelOptions;
  #gzip: grpc.Client | undefined;

  /** `tls`: connect over TLS (`createSsl`), trusting `tls.ca`, with `tls.serverName` as grpc-js's ssl_target_name_override. */
  constructor(target: string, tls?: ClientTls) {
    this.#target = target;
    this.#credentials =
      tls === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
    this.#options =
      tls?.serverName === undefined ? {} : { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName };
    this.#client = new grpc.Client(target, this.#credentials, this.#options);
  }

  run(name: CaseName | GrpcJsExtraCaseName): Promise<void> {
    return cases[name](
      this.#client,
      () => (this.#gzip ??= new grpc.Client(this.#target, this.#credentials, { ...this.#options, "grpc.default_compression_algorithm": GZIP })),
    );
  }

  close(): void {
    this.#client.close();
    this.#gzip?.close();
  }
}

const cases: Record<CaseName | GrpcJsExtraCaseName, (client: grpc.Client, gzip: () => grpc.Client) => Promise<void>> = {
  async empty_unary(client) {
    const response = await unary(client, testMethod("EmptyCall"), {});
    assert.deepEqual(response, {});
  },

  async large_unary(client) {
    const response = await unary(client, testMethod("UnaryCall"), { response_size: 314159, payload: { body: zeros(271828) } });
    assertZeros(response.payload?.body, 314159);
  },

  async client_streaming(client) {
    const method = testMethod("StreamingInputCall");
    const response = await new Promise<grpc.ServiceError | { aggregated_payload_size?: number }>((resolve, reject) => {
      const call = client.makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        new grpc.Metadata(),
        options(),
        (error, value) => (error ? reject(error) : resolve(value ?? {})),
      );
      for (const size of REQUEST_SIZES) call.write({ payload: { body: zeros(size) } });
      call.end();
    });
    assert.equal("aggregated_payload_size" in response ? response.aggregated_payload_size : undefined, 74922);
  },

  async server_streaming(client) {
    const method = testMethod("StreamingOutputCall");
    const call = client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { response_parameters: RESPONSE_SIZES.map((size) => ({ size })) },
      new grpc.Metadata(),
      options(),
    );
    const status = statusOf(call);
    const sizes: number[] = [];
    for await (const response of call as AsyncIterable<StreamingOutputCallResponse>) {
      assertZeros(response.payload?.body, RESPONSE_SIZES[sizes.length] ?? 0);
      sizes.push(response.payload?.body?.byteLength ?? 0);
    }
    assert.deepEqual(sizes, RESPONSE_SIZES);
    assert.equal((await status).code, grpc.status.OK);
  },

  async ping_pong(client) {
    const call = bidi(client);
    const status = statusOf(call);
    const responses = call.iterator({ destroyOnReturn: false }) as AsyncIterator<StreamingOutputCallResponse>;
    try {
      for (const [i, size] of RESPONSE_SIZES.entries()) {
        call.write({ response_parameters: [{ size }], payload: { body: zeros(REQUEST_SIZES[i]!) } });
        const next = await responses.next();
        assert.ok(!next.done, `the server ended the stream after ${i} of 4 responses`);
        assertZeros(next.value.payload?.body, size);
      }
      call.end();
      assert.ok((await responses.next()).done, "more than four responses");
      assert.equal((await status).code, grpc.status.OK);
    } finally {
      call.cancel();
    }
  },

  async empty_stream(client) {
    const call = bidi(client);
    const status = statusOf(call);
    call.end();
    let count = 0;
    for await (const _ of call) count++;
    assert.equal(count, 0, "expected no responses");
    assert.equal((await status).code, grpc.status.OK);
  },

  async status_code_and_message(client) {
    const response_status = { code: 2, message: "test status message" };
    await expectStatus(unary(client, testMethod("UnaryCall"), { response_status }), 2, "test status message");

    const call = bidi(client);
    const status = statusOf(call);
    call.write({ response_status });
    call.end();
    await expectStatus(call.iterator({ destroyOnReturn: false }).next(), 2, "test status message");
    const final = await status;
    assert.equal(final.code, 2);
    assert.equal(final.details, "test status message");
  },

  async special_status_message(client) {
    const response_status = { code: 2, message: SPECIAL_STATUS_MESSAGE };
    await expectStatus(unary(client, testMethod("UnaryCall"), { response_status }), 2, SPECIAL_STATUS_MESSAGE);
  },

  async unimplemented_method(client) {
    await expectStatus(unary(client, testMethod("UnimplementedCall"), {}), grpc.status.UNIMPLEMENTED);
  },

  async unimplemented_service(client) {
    await expectStatus(unary(client, unimplementedServiceCall, {}), grpc.status.UNIMPLEMENTED);
  },

  // Extra cases, run by name.

  async cancel_after_begin(client) {
    // A client stream cancelled before any message is sent ends CANCELLED.
    const method = testMethod("StreamingInputCall");
    const result = new Promise<grpc.ServiceError | undefined>((resolve) => {
      const call = client.makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        new grpc.Metadata(),
        options(),
        (error) => resolve(error ?? undefined),
      );
      call.cancel();
    });
    assert.equal((await result)?.code, grpc.status.CANCELLED);
  },

  async cancel_after_first_response(client) {
    // A bidi stream cancelled after its first response ends CANCELLED.
    const call = bidi(client);
    const status = statusOf(call);
    const responses = call.iterator({ destroyOnReturn: false }) as AsyncIterator<StreamingOutputCallResponse>;
    call.write({ response_parameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
    const first = await responses.next();
    assert.ok(!first.done, "no first response");
    assertZeros(first.value.payload?.body, 31415);
    call.cancel();
    assert.equal((await status).code, grpc.status.CANCELLED);
  },

  async timeout_on_sleeping_server(client) {
    // A 1 ms deadline on a bidi stream whose server is still working ends DEADLINE_EXCEEDED.
    const method = testMethod("FullDuplexCall");
    const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), {
      deadline: Date.now() + 1,
    });
    const status = statusOf(call);
    call.write({ payload: { body: zeros(27182) } });
    assert.equal((await status).code, grpc.status.DEADLINE_EXCEEDED);
  },

  async custom_metadata(client) {
    const metadata = () => {
      const md = new grpc.Metadata();
      md.set(ECHO_INITIAL, "test_initial_metadata_value");
      md.set(ECHO_TRAILING, Buffer.from([0xab, 0xab, 0xab]));
      return md;
    };
    const method = testMethod("UnaryCall");
    let unaryHeaders: grpc.Metadata | undefined;
    const [response, unaryStatus] = await new Promise<[SimpleResponse, grpc.StatusObject]>((resolve, reject) => {
      let value: SimpleResponse | undefined;
      const call = client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { response_size: 314159, payload: { body: zeros(271828) } },
        metadata(),
        options(),
        (error, v) => (error ? reject(error) : (value = v)),
      );
      call.on("metadata", (headers) => (unaryHeaders = headers));
      call.on("status", (status) => (value === undefined ? reject(new Error(status.details)) : resolve([value, status])));
    });
    assertZeros(response.payload?.body, 314159);
    assertEchoed(unaryHeaders, unaryStatus.metadata, "UnaryCall");

    const call = client.makeBidiStreamRequest(
      testMethod("FullDuplexCall").path,
      testMethod("FullDuplexCall").requestSerialize,
      testMethod("FullDuplexCall").responseDeserialize,
      metadata(),
      options(),
    );
    let bidiHeaders: grpc.Metadata | undefined;
    call.on("metadata", (headers) => (bidiHeaders = headers));
    const status = statusOf(call);
    call.write({ response_parameters: [{ size: 314159 }], payload: { body: zeros(271828) } });
    call.end();
    let count = 0;
    for await (const r of call as AsyncIterable<StreamingOutputCallResponse>) {
      assertZeros(r.payload?.body, 314159);
      count++;
    }
    assert.equal(count, 1);
    const final = await status;
    assert.equal(final.code, grpc.status.OK);
    assertEchoed(bidiHeaders, final.metadata, "FullDuplexCall");
  },

  // Compression cases (see GRPC_JS_EXTRA_CASE_NAMES).

  async client_compressed_unary(client, gzip) {
    const method = testMethod("UnaryCall");
    const request = (expect: boolean) => ({ expect_compressed: { value: expect }, response_size: 314159, payload: { body: zeros(271828) } });
    await expectStatus(unary(client, method, request(true)), grpc.status.INVALID_ARGUMENT);
    assertZeros((await unary(gzip(), method, request(true))).payload?.body, 314159);
    assertZeros((await unary(client, method, request(false))).payload?.body, 314159);
  },

  async server_compressed_unary(client) {
    for (const compressed of [true, false]) {
      const response = await unary(client, testMethod("UnaryCall"), { response_compressed: { value: compressed }, response_size: 314159, payload: { body: zeros(271828) } });
      assertZeros(response.payload?.body, 314159);
    }
  },

  async client_compressed_streaming(client, gzip) {
    const method = testMethod("StreamingInputCall");
    const stream = (on: grpc.Client, write: (call: grpc.ClientWritableStream<StreamingInputCallRequest>) => void) =>
      new Promise<{ aggregated_payload_size?: number }>((resolve, reject) => {
        const call = on.makeClientStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), options(), (error, value) =>
          error ? reject(error) : resolve(value ?? {}),
        );
        write(call);
        call.end();
      });
    await expectStatus(
      stream(client, (call) => call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } })),
      grpc.status.INVALID_ARGUMENT,
    );
    const response = await stream(gzip(), (call) => {
      call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
      call.write({ expect_compressed: { value: false }, payload: { body: zeros(45904) } }, NO_COMPRESS);
    });
    assert.equal(response.aggregated_payload_size, 73086);
  },

  async server_compressed_streaming(client) {
    const method = testMethod("StreamingOutputCall");
    const call = client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { response_parameters: [{ compressed: { value: true }, size: 31415 }, { compressed: { value: false }, size: 92653 }] },
      new grpc.Metadata(),
      options(),
    );
    const status = statusOf(call);
    const sizes: number[] = [];
    for await (const response of call as AsyncIterable<StreamingOutputCallResponse>) {
      assertZeros(response.payload?.body, [31415, 92653][sizes.length] ?? 0);
      sizes.push(response.payload?.body?.byteLength ?? 0);
    }
    assert.deepEqual(sizes, [31415, 92653]);
    assert.equal((await status).code, grpc.status.OK);
  },
};

function assertEchoed(headers: grpc.Metadata | undefined, trailers: grpc.Metadata, method: string): void {
  assert.deepEqual(headers?.get(ECHO_INITIAL), ["test_initial_metadata_value"], `${method}: ${ECHO_INITIAL} not echoed in the headers`);
  const trailing = trailers.get(ECHO_TRAILING);
  assert.equal(trailing.length, 1, `${method}: ${ECHO_TRAILING} not echoed in the trailers`);
  assert.deepEqual([...(trailing[0] as Buffer)], [0xab, 0xab, 0xab], `${method}: wrong ${ECHO_TRAILING} value`);
}

function unary<Req, Res>(client: grpc.Client, method: grpc.MethodDefinition<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), options(), (error, value) =>
      error ? reject(error) : value === undefined ? reject(new Error("no response")) : resolve(value),
    );
  });
}

function bidi(client: grpc.Client): grpc.ClientDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse> {
  const method = testMethod("FullDuplexCall");
  return client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), options());
}

/** The final status of a streaming call; the 'error' event (a non-OK status) is handled here too. */
function statusOf(call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>): Promise<grpc.StatusObject> {
  call.on("error", () => {});
  return new Promise((resolve) => call.on("status", resolve));
}

function assertZeros(body: Uint8Array | undefined, size: number): void {
  assert.ok(body !== undefined, "response has no payload");
  assert.equal(body.byteLength, size, `payload is ${body.byteLength} bytes, expected ${size}`);
  assert.ok(
    body.every((b) => b === 0),
    "payload is not all zeros",
  );
}

async function expectStatus(call: Promise<unknown>, code: grpc.status, message?: string): Promise<void> {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `the call succeeded, expected status ${code}`);
  const serviceError = error as Partial<grpc.ServiceError>;
  assert.equal(serviceError.code, code, `expected status ${code}, got ${serviceError.code} (${JSON.stringify(serviceError.details)})`);
  if (message !== undefined) assert.equal(serviceError.details, message, "wrong status message");
}

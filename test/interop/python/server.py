"""The interop test server on Python grpcio (the C core), a peer for our client.

    /usr/bin/python3 test/interop/python/server.py --port 0 [--host 127.0.0.1] [--use_tls false]
    (TLS: --use_tls true --cert_file s.pem --key_file s.key [--require_client_cert true --ca_file ca.pem])

Prints `listening on HOST:PORT`, serves until SIGTERM or SIGINT, then stops
gracefully and exits 0.
"""
import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
from interop_gen import empty_pb2, flag_bool, messages_pb2, status_code, test_pb2_grpc  # noqa: E402

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"


def echo_metadata(context):
    received = dict(context.invocation_metadata())
    if ECHO_INITIAL in received:
        context.send_initial_metadata(((ECHO_INITIAL, received[ECHO_INITIAL]),))
    if ECHO_TRAILING in received:
        context.set_trailing_metadata(((ECHO_TRAILING, received[ECHO_TRAILING]),))


def echo_status(request, context):
    if request.HasField("response_status") and request.response_status.code != 0:
        context.abort(status_code(request.response_status.code), request.response_status.message)


def payload(size):
    return messages_pb2.Payload(type=messages_pb2.COMPRESSABLE, body=b"\0" * size)


def respond(request, context):
    # CompressedResponse: gzip for the call if any response asks for it, then off for those that do not.
    if any(p.compressed.value for p in request.response_parameters):
        context.set_compression(grpc.Compression.Gzip)
    for parameters in request.response_parameters:
        if parameters.interval_us > 0:
            time.sleep(parameters.interval_us / 1e6)
        if not context.is_active():
            return
        if not parameters.compressed.value:
            context.disable_next_message_compression()
        yield messages_pb2.StreamingOutputCallResponse(payload=payload(parameters.size))


class TestService(test_pb2_grpc.TestServiceServicer):
    # UnimplementedCall is inherited: the generated servicer answers UNIMPLEMENTED.

    def EmptyCall(self, request, context):
        echo_metadata(context)
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        echo_metadata(context)
        echo_status(request, context)
        # CompressedResponse (CompressedRequest needs the request's compressed flag, which grpcio does not expose).
        if request.response_compressed.value:
            context.set_compression(grpc.Compression.Gzip)
        return messages_pb2.SimpleResponse(payload=payload(request.response_size))

    def CacheableUnaryCall(self, request, context):
        echo_metadata(context)
        context.send_initial_metadata((("cache-control", "max-age=60, public"),))
        now = str(time.time_ns()).encode()
        return messages_pb2.SimpleResponse(payload=messages_pb2.Payload(body=now))

    def StreamingOutputCall(self, request, context):
        echo_metadata(context)
        echo_status(request, context)
        yield from respond(request, context)

    def StreamingInputCall(self, request_iterator, context):
        echo_metadata(context)
        size = sum(len(request.payload.body) for request in request_iterator)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=size)

    def FullDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for request in request_iterator:
            echo_status(request, context)
            yield from respond(request, context)

    def HalfDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for request in list(request_iterator):
            echo_status(request, context)
            yield from respond(request, context)


def main():
    parser = argparse.ArgumentParser(description="gRPC interop test server (Python grpcio)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--use_tls", type=flag_bool, default=False)
    parser.add_argument("--cert_file", help="PEM server certificate (chain)")
    parser.add_argument("--key_file", help="PEM server key")
    parser.add_argument("--ca_file", help="PEM roots client certificates must chain to")
    parser.add_argument("--require_client_cert", type=flag_bool, default=False, help="mutual TLS")
    args = parser.parse_args()
    tls_only = [f for f in ("cert_file", "key_file", "ca_file") if getattr(args, f) is not None]
    if not args.use_tls and (tls_only or args.require_client_cert):
        parser.error("--%s only apply with --use_tls true" % ", --".join(tls_only or ["require_client_cert"]))
    if args.use_tls and (args.cert_file is None or args.key_file is None):
        parser.error("--use_tls true needs --cert_file and --key_file")
    if args.require_client_cert and args.ca_file is None:
        parser.error("--require_client_cert needs --ca_file")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    address = "%s:%d" % (args.host, args.port)
    if args.use_tls:
        read = lambda path: open(path, "rb").read()
        credentials = grpc.ssl_server_credentials(
            [(read(args.key_file), read(args.cert_file))],
            root_certificates=read(args.ca_file) if args.ca_file else None,
            require_client_auth=args.require_client_cert,
        )
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        sys.exit("could not listen on %s:%d" % (args.host, args.port))
    server.start()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("listening on %s:%d" % (args.host, port), flush=True)
    stop.wait()
    server.stop(grace=5).wait()
    print("server stopped", flush=True)


if __name__ == "__main__":
    main()

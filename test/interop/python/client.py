"""The interop test client on Python grpcio (the C core), a peer for our server.

    /usr/bin/python3 test/interop/python/client.py --server_port 8080 --test_case all [--server_host 127.0.0.1] [--use_tls false]
    (TLS: --use_tls true --use_test_ca true --ca_file ca.pem [--server_host_override NAME] [--cert_file c.pem --key_file c.key])

Prints `PASS name` or `FAIL name: reason` per case, then `N passed, M failed`;
exits 1 when a case failed, 2 on a command-line mistake.
"""
import argparse
import queue
import sys

import grpc

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
from interop_gen import empty_pb2, flag_bool, messages_pb2, test_pb2_grpc  # noqa: E402

REQUEST_SIZES = [27182, 8, 1828, 45904]
RESPONSE_SIZES = [31415, 9, 2653, 58979]
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
TIMEOUT = 10  # seconds, the deadline of every call


class CaseFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CaseFailed(message)


def check_zeros(payload, size):
    check(len(payload.body) == size, "payload is %d bytes, expected %d" % (len(payload.body), size))
    check(payload.body == b"\0" * size, "payload is not all zeros")


def expect_status(call, code, message=None):
    try:
        call()
    except grpc.RpcError as error:
        check(error.code() == code, "expected status %s, got %s (%r)" % (code, error.code(), error.details()))
        if message is not None:
            check(error.details() == message, "wrong status message %r" % error.details())
        return
    raise CaseFailed("the call succeeded, expected status %s" % code)


def empty_unary(stub, _):
    response = stub.EmptyCall(empty_pb2.Empty(), timeout=TIMEOUT)
    check(isinstance(response, empty_pb2.Empty), "response is not an Empty")


def large_unary(stub, _):
    request = messages_pb2.SimpleRequest(response_size=314159, payload=messages_pb2.Payload(body=b"\0" * 271828))
    check_zeros(stub.UnaryCall(request, timeout=TIMEOUT).payload, 314159)


def client_streaming(stub, _):
    requests = (messages_pb2.StreamingInputCallRequest(payload=messages_pb2.Payload(body=b"\0" * size)) for size in REQUEST_SIZES)
    response = stub.StreamingInputCall(requests, timeout=TIMEOUT)
    check(response.aggregated_payload_size == 74922, "aggregated_payload_size is %d" % response.aggregated_payload_size)


def server_streaming(stub, _):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=size) for size in RESPONSE_SIZES]
    )
    call = stub.StreamingOutputCall(request, timeout=TIMEOUT)
    sizes = []
    for response in call:
        check_zeros(response.payload, RESPONSE_SIZES[len(sizes)] if len(sizes) < 4 else 0)
        sizes.append(len(response.payload.body))
    check(sizes == RESPONSE_SIZES, "response sizes %s" % sizes)
    check(call.code() == grpc.StatusCode.OK, "status %s" % call.code())


def ping_pong(stub, _):
    requests = queue.Queue()
    call = stub.FullDuplexCall(iter(requests.get, None), timeout=TIMEOUT)
    try:
        for request_size, response_size in zip(REQUEST_SIZES, RESPONSE_SIZES):
            requests.put(
                messages_pb2.StreamingOutputCallRequest(
                    response_parameters=[messages_pb2.ResponseParameters(size=response_size)],
                    payload=messages_pb2.Payload(body=b"\0" * request_size),
                )
            )
            response = next(call, None)
            check(response is not None, "the server ended the stream early")
            check_zeros(response.payload, response_size)
        requests.put(None)
        check(next(call, None) is None, "more than four responses")
        check(call.code() == grpc.StatusCode.OK, "status %s" % call.code())
    finally:
        requests.put(None)
        call.cancel()


def empty_stream(stub, _):
    call = stub.FullDuplexCall(iter(()), timeout=TIMEOUT)
    check(len(list(call)) == 0, "expected no responses")
    check(call.code() == grpc.StatusCode.OK, "status %s" % call.code())


def status_code_and_message(stub, _):
    status = messages_pb2.EchoStatus(code=2, message="test status message")
    expect_status(lambda: stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status), timeout=TIMEOUT), grpc.StatusCode.UNKNOWN, status.message)
    request = messages_pb2.StreamingOutputCallRequest(response_status=status)
    expect_status(lambda: list(stub.FullDuplexCall(iter([request]), timeout=TIMEOUT)), grpc.StatusCode.UNKNOWN, status.message)


def special_status_message(stub, _):
    status = messages_pb2.EchoStatus(code=2, message=SPECIAL_STATUS_MESSAGE)
    expect_status(lambda: stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status), timeout=TIMEOUT), grpc.StatusCode.UNKNOWN, SPECIAL_STATUS_MESSAGE)


def unimplemented_method(stub, _):
    expect_status(lambda: stub.UnimplementedCall(empty_pb2.Empty(), timeout=TIMEOUT), grpc.StatusCode.UNIMPLEMENTED)


def unimplemented_service(_, unimplemented):
    expect_status(lambda: unimplemented.UnimplementedCall(empty_pb2.Empty(), timeout=TIMEOUT), grpc.StatusCode.UNIMPLEMENTED)


CASES = [
    empty_unary,
    large_unary,
    client_streaming,
    server_streaming,
    ping_pong,
    empty_stream,
    status_code_and_message,
    special_status_message,
    unimplemented_method,
    unimplemented_service,
]


def main():
    names = [case.__name__ for case in CASES]
    parser = argparse.ArgumentParser(description="gRPC interop test client (Python grpcio)")
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--test_case", required=True, choices=["all", *names])
    parser.add_argument("--use_tls", type=flag_bool, default=False)
    parser.add_argument("--use_test_ca", type=flag_bool, default=False, help="trust the CA in --ca_file")
    parser.add_argument("--ca_file", help="PEM file of the trusted root(s)")
    parser.add_argument("--server_host_override", help="name the server's certificate is checked against")
    parser.add_argument("--cert_file", help="PEM client certificate, for mTLS")
    parser.add_argument("--key_file", help="PEM client key, for mTLS")
    args = parser.parse_args()
    tls_only = [f for f in ("ca_file", "server_host_override", "cert_file", "key_file") if getattr(args, f) is not None]
    if not args.use_tls and (tls_only or args.use_test_ca):
        parser.error("--%s only apply with --use_tls true" % ", --".join(tls_only or ["use_test_ca"]))
    if args.use_test_ca and args.ca_file is None:
        parser.error("--use_test_ca needs --ca_file")
    if (args.cert_file is None) != (args.key_file is None):
        parser.error("--cert_file and --key_file go together")

    selected = CASES if args.test_case == "all" else [CASES[names.index(args.test_case)]]
    failed = []
    target = "%s:%d" % (args.server_host, args.server_port)
    if args.use_tls:
        read = lambda path: open(path, "rb").read() if path else None
        credentials = grpc.ssl_channel_credentials(read(args.ca_file), read(args.key_file), read(args.cert_file))
        options = [("grpc.ssl_target_name_override", args.server_host_override)] if args.server_host_override else []
        channel = grpc.secure_channel(target, credentials, options)
    else:
        channel = grpc.insecure_channel(target)
    with channel:
        stub = test_pb2_grpc.TestServiceStub(channel)
        unimplemented = test_pb2_grpc.UnimplementedServiceStub(channel)
        for case in selected:
            try:
                case(stub, unimplemented)
                print("PASS %s" % case.__name__, flush=True)
            except Exception as error:  # a failed case, whatever the cause
                failed.append(case.__name__)
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                print("FAIL %s: %s" % (case.__name__, reason), flush=True)
    print("%d passed, %d failed" % (len(selected) - len(failed), len(failed)), flush=True)
    if failed:
        print("python interop client: %d case(s) failed: %s" % (len(failed), ", ".join(failed)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

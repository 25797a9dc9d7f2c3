"""Python code for grpc/testing/{empty,messages,test}.proto, generated on import.

Code generated for the `grpc/testing/` folder would be a package named `grpc`
that shadows the grpc module itself, so the protos are copied to a folder named
`interop_pb/` (the proto package stays grpc.testing, so the method paths are
unchanged), compiled with Debian's protoc and grpc_python_plugin into a
temporary folder, and imported from there. Needs Debian's python3-grpcio and
python3-protobuf: run with /usr/bin/python3.
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

PROTO_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "proto"))
PROTOC = "/usr/bin/protoc"
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
FILES = ("empty", "messages", "test")


def _generate():
    root = tempfile.mkdtemp(prefix="tsgrpc-interop-py-")
    atexit.register(shutil.rmtree, root, True)
    src = os.path.join(root, "src")
    out = os.path.join(root, "out")
    os.makedirs(os.path.join(src, "interop_pb"))
    os.makedirs(out)
    for name in FILES:
        with open(os.path.join(PROTO_DIR, "grpc", "testing", name + ".proto"), encoding="utf-8") as f:
            text = f.read().replace('import "grpc/testing/', 'import "interop_pb/')
        with open(os.path.join(src, "interop_pb", name + ".proto"), "w", encoding="utf-8") as f:
            f.write(text)
    subprocess.run(
        [
            PROTOC,
            "-I" + src,
            "--python_out=" + out,
            "--grpc_python_out=" + out,
            "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN,
            *("interop_pb/%s.proto" % name for name in FILES),
        ],
        check=True,
    )
    return out


sys.path.insert(0, _generate())

from interop_pb import empty_pb2, messages_pb2, test_pb2_grpc  # noqa: E402

__all__ = ["empty_pb2", "messages_pb2", "test_pb2_grpc", "flag_bool", "status_code"]


def flag_bool(text):
    """An argparse type for --use_tls and the like: true or false."""
    if text in ("true", "false"):
        return text == "true"
    import argparse

    raise argparse.ArgumentTypeError('expected true or false, got "%s"' % text)


def status_code(number):
    """The grpc.StatusCode for a numeric code."""
    import grpc

    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN

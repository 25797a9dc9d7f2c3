#!/usr/bin/env bash
# Installs what the tests need, when it is missing: Debian's protoc, gRPC protos and Python gRPC
# (interop peer and second protoc), openssl (test certificates), then the npm dependencies. Runs before `npm test` (pretest),
# so the README's test command works on a fresh machine. Does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/protoc ] || need_apt+=(protobuf-compiler)
[ -f /usr/share/grpc-proto/grpc/testing/test.proto ] || need_apt+=(grpc-proto)
[ -x /usr/bin/grpc_python_plugin ] || need_apt+=(protobuf-compiler-grpc)
[ -x /usr/bin/openssl ] || need_apt+=(openssl)  # test certificates (test/connection/certs.ts)
if ! /usr/bin/python3 -c "import grpc, google.protobuf" >/dev/null 2>&1; then need_apt+=(python3-grpcio python3-protobuf); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm dependencies: install when missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

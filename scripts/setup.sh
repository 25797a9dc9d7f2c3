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
# nginx: the gRPC proxy/load balancer of test/connection/nginx.test.ts (which runs its own, in the foreground).
[ -x /usr/sbin/nginx ] || need_apt+=(nginx)

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The nginx package starts its system service on install, which fails where there is no init system
  # (or port 80 is taken) and then fails the install. A policy-rc.d that answers 101 ("not allowed") stops
  # that, as Debian's container images do; ours is removed again afterwards.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm dependencies: install when missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

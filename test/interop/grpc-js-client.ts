// The interop test client on @grpc/grpc-js, with the same flags and output as client.ts:
//
//   node --import tsx test/interop/grpc-js-client.ts --server_port 8080 --test_case all [--server_host 127.0.0.1] [--use_tls false] [TLS flags as client.ts]
import { CASE_NAMES, CLIENT_FLAGS, CLIENT_TLS_USAGE, UsageError, clientTls, hostPort, parseFlags, runCaseList, runMain, selectCases, type CaseName } from "./args.js";
import { GRPC_JS_EXTRA_CASE_NAMES, GrpcJsCases, type GrpcJsExtraCaseName } from "./grpc-js-cases.js";

const USAGE = `usage: node --import tsx test/interop/grpc-js-client.ts --server_port PORT --test_case NAME [--server_host HOST] [TLS flags]
${CLIENT_TLS_USAGE}

  --test_case  all (${CASE_NAMES.join(", ")}),
               or one of those, or one of: ${GRPC_JS_EXTRA_CASE_NAMES.join(", ")}`;

await runMain(USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), CLIENT_FLAGS);
  const tls = clientTls(flags);
  if (flags.server_port === undefined) throw new UsageError("--server_port is required");
  const names = selectCases<CaseName | GrpcJsExtraCaseName>(flags.test_case, CASE_NAMES, GRPC_JS_EXTRA_CASE_NAMES);

  const client = new GrpcJsCases(hostPort(flags.server_host ?? "127.0.0.1", flags.server_port), tls);
  try {
    const failed = await runCaseList(names, (name) => client.run(name));
    if (failed.length > 0) {
      console.error(`grpc-js interop client: ${failed.length} of ${names.length} case(s) failed: ${failed.join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    client.close();
  }
});

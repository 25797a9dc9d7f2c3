// The interop test client on tsgrpc:
//
//   npm run interop:client -- --server_port 8080 --test_case all [--server_host 127.0.0.1] [--use_tls false]
//   npm run interop:client -- --server_port 8080 --test_case all --use_tls true --use_test_ca true --ca_file ca.pem \
//     --server_host_override foo.test.example [--cert_file client.pem --key_file client.key]
//
// Prints `PASS name` or `FAIL name: reason` per case, then `N passed, M failed`;
// exits 1 when a case failed, 2 on a command-line mistake.
import { Channel } from "tsgrpc";
import {
  CLIENT_FLAGS,
  CLIENT_TLS_USAGE,
  CASE_NAMES,
  COMPRESSION_CASE_NAMES,
  EXTRA_CASE_NAMES,
  UsageError,
  hostPort,
  parseFlags,
  clientTls,
  requireGenerated,
  runCaseList,
  runMain,
  selectCases,
  type CaseName,
  type CompressionCaseName,
  type ExtraCaseName,
} from "./args.js";

const USAGE = `usage: npm run interop:client -- --server_port PORT --test_case NAME [--server_host HOST] [TLS flags]

  --server_host  server address (default 127.0.0.1)
  --server_port  server port (required)
  --test_case    all (${CASE_NAMES.join(", ")}),
                 or one of those, or one of: ${[...EXTRA_CASE_NAMES, ...COMPRESSION_CASE_NAMES].join(", ")}
${CLIENT_TLS_USAGE}`;

await runMain(USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), CLIENT_FLAGS);
  const tls = clientTls(flags);
  if (flags.server_port === undefined) throw new UsageError("--server_port is required");
  const names = selectCases<CaseName | ExtraCaseName | CompressionCaseName>(flags.test_case, CASE_NAMES, [...EXTRA_CASE_NAMES, ...COMPRESSION_CASE_NAMES]);
  requireGenerated();
  // Loaded after the checks, so a missing `npm run generate` gets the message above.
  const { runCase } = await import("./cases.js");

  await using channel = new Channel(hostPort(flags.server_host ?? "127.0.0.1", flags.server_port), tls === undefined ? {} : { tls });
  const failed = await runCaseList(names, (name) => runCase(name, channel));
  if (failed.length > 0) {
    console.error(`interop client: ${failed.length} of ${names.length} case(s) failed: ${failed.join(", ")}`);
    process.exitCode = 1;
  }
});

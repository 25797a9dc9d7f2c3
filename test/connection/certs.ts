// Certificates made at test time with the openssl CLI (Debian's `openssl`): a CA, a server certificate
// for localhost / 127.0.0.1 / ::1 (and `foo.test.example`, for server-name overrides), a client
// certificate for mTLS, and a second CA nobody trusts. EC P-256 keys: the whole set takes ~50 ms.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its key, as PEM, with the files they were read from. */
export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCerts {
  /** The folder holding every file (removed when the process exits). */
  readonly dir: string;
  /** The CA that signed `server` and `client`. */
  readonly ca: KeyPair;
  /** CN=localhost; SAN localhost, 127.0.0.1, ::1, foo.test.example. */
  readonly server: KeyPair;
  /** CN=test-client, for mTLS. */
  readonly client: KeyPair;
  /** A client certificate signed by `otherCa`, which the server does not trust. */
  readonly strangerClient: KeyPair;
  /** A CA that signed nothing the server uses: trusting only it fails the handshake. */
  readonly otherCa: KeyPair;
}

/** The name the server certificate carries besides localhost, for `serverName` overrides. */
export const OVERRIDE_HOST = "foo.test.example";

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"];

let made: TestCerts | undefined;

/** Makes the certificates once per process, into a temporary folder. */
export function testCerts(): TestCerts {
  if (made !== undefined) return made;
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-certs-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const openssl = (args: string[]) => execFileSync("/usr/bin/openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
  const pair = (name: string): KeyPair => {
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    return {
      certFile,
      keyFile,
      get cert() {
        return readFileSync(certFile);
      },
      get key() {
        return readFileSync(keyFile);
      },
    };
  };
  const ca = (name: string, cn: string) => {
    const p = pair(name);
    openssl(["req", "-x509", ...EC, "-keyout", p.keyFile, "-out", p.certFile, "-subj", `/CN=${cn}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    return p;
  };
  const leaf = (name: string, cn: string, signer: KeyPair, extensions: string[]) => {
    const p = pair(name);
    openssl(["req", "-x509", ...EC, "-keyout", p.keyFile, "-out", p.certFile, "-subj", `/CN=${cn}`,
      "-CA", signer.certFile, "-CAkey", signer.keyFile, "-addext", "basicConstraints=CA:FALSE", ...extensions.flatMap((e) => ["-addext", e])]);
    return p;
  };
  const rootCa = ca("ca", "tsgrpc-test-ca");
  const otherCa = ca("other-ca", "tsgrpc-untrusted-ca");
  made = {
    dir,
    ca: rootCa,
    otherCa,
    server: leaf("server", "localhost", rootCa, [`subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:${OVERRIDE_HOST}`, "extendedKeyUsage=serverAuth"]),
    client: leaf("client", "test-client", rootCa, ["extendedKeyUsage=clientAuth"]),
    strangerClient: leaf("stranger-client", "stranger", otherCa, ["extendedKeyUsage=clientAuth"]),
  };
  return made;
}

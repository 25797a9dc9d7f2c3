// Makes the compiled plugin executable, so `protoc-gen-tsgrpc` runs from any directory.
import { chmodSync } from "node:fs";
chmodSync(new URL("../dist/plugin/bin.js", import.meta.url), 0o755);

// bench.v1.EchoService for @grpc/grpc-js, loaded at run time with @grpc/proto-loader.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoPath = fileURLToPath(new URL("../../../proto/bench/v1/echo.proto", import.meta.url));
const definition = protoLoader.loadSync(protoPath, { keepCase: true, defaults: false });
export const EchoService = grpc.loadPackageDefinition(definition).bench.v1.EchoService;
export { grpc };

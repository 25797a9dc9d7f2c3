// The tsgrpc client for the bench contract (bench/README.md), compiled by
// `node bench/build.mjs` from bench/impl/ours/client.ts. Plain `node` can import it.
export { open, unary, serverStream, clientStream, bidi, close } from "./build/bench/impl/ours/client.js";

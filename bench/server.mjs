// The tsgrpc server for the bench contract (bench/README.md), compiled by
// `node bench/build.mjs` from bench/impl/ours/server.ts. Env PORT, optional HOST.
await import("./build/bench/impl/ours/server.js");

// Method globs for fault rules, and the abortable sleep delays use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { methodGlob } from "tsgrpc";
import { abortableSleep } from "../../runtime/faults/abortable-sleep.js";

describe("methodGlob", () => {
  const cases: [string, string, boolean][] = [
    ["*", "/orders.OrderService/CreateOrder", true],
    ["*", "/grpc.health.v1.Health/Check", true],
    ["/orders.OrderService/*", "/orders.OrderService/CreateOrder", true],
    ["/orders.OrderService/*", "/orders.OrderService/", true],
    ["/orders.OrderService/*", "/orders.OrderServiceV2/CreateOrder", false],
    ["/orders.OrderService/*", "/billing.OrderService/CreateOrder", false],
    ["/orders.OrderService/GetOrder", "/orders.OrderService/GetOrder", true],
    ["/orders.OrderService/GetOrder", "/orders.OrderService/GetOrders", false],
    ["/orders.OrderService/GetOrder", "/orders.OrderService/getorder", false],
    // `*` crosses `/`: a package prefix covers all its services.
    ["/orders.*", "/orders.OrderService/CreateOrder", true],
    ["/orders.*", "/ordersX/CreateOrder", false],
    ["*/Create*", "/orders.OrderService/CreateOrder", true],
    ["*/Create*", "/orders.OrderService/GetOrder", false],
    // Dots and other regexp characters are literal.
    ["/a.b/C", "/aXb/C", false],
    ["/a+b/(C)", "/a+b/(C)", true],
    ["/a?b/C", "/aXb/C", false],
  ];
  for (const [glob, path, expected] of cases) {
    it(`${glob} ${expected ? "matches" : "does not match"} ${path}`, () => {
      assert.equal(methodGlob(glob)(path), expected);
    });
  }
});

describe("abortableSleep", () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

  it("waits, and clears its timer when aborted", async () => {
    const started = performance.now();
    await abortableSleep(30, undefined);
    assert.ok(performance.now() - started >= 29);
    const before = timers();
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    assert.equal(timers(), before + 1);
    controller.abort(new Error("stop"));
    await assert.rejects(sleeping, /stop/);
    assert.equal(timers(), before);
    await assert.rejects(abortableSleep(10, controller.signal), /stop/);
    assert.equal(timers(), before);
  });
});

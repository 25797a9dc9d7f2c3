import type { Server } from "../../server/server.js";
import type { ServerCall } from "../../server/server-call.js";
import { serviceDescriptor } from "../../service/service-implementation.js";
import { GrpcError } from "../../status/grpc-error.js";
import { Status } from "../../status/status.js";
import type { HealthBase } from "../gen/grpc/health/v1/health_grpc.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus, type HealthCheckRequest } from "../gen/grpc/health/v1/health_pb.js";
import type { HealthCheck } from "./checks.js";

/** The service name that stands for the whole server in health requests: `""`. */
export const OVERALL = "";

/**
 * Checks per service name (`"greeter.v1.Greeter"`, or `OVERALL` for the
 * whole server). A service is SERVING when all its checks are true,
 * NOT_SERVING when any is false, and UNKNOWN otherwise.
 */
export type HealthChecks = Readonly<Record<string, readonly HealthCheck[]>>;

/**
 * The standard health service, `grpc.health.v1.Health` (Check and Watch),
 * with grpclib's checks.
 *
 * ```ts
 * const db = new ServiceCheck(async () => (await pool.query("SELECT 1"), true));
 * server.add(new HealthService(server, { [Greeter.typeName]: [db] }));
 * ```
 *
 * The services it knows: the whole server (`""`), every service registered on
 * `server`, and every key of `checks`; any other name gets NOT_FOUND from
 * Check and SERVICE_UNKNOWN from Watch. A service without checks is SERVING.
 * The whole server's checks are `checks[OVERALL]` if given, else every check
 * of every service.
 *
 * When the server starts shutting down, every service becomes NOT_SERVING:
 * watchers get that message, then their streams end with OK (so they do not
 * hold a graceful close open; the spec tells clients to retry).
 */
export class HealthService implements HealthBase {
  readonly [serviceDescriptor] = Health;
  readonly #server: Server;
  readonly #checks: HealthChecks;
  readonly #overall: readonly HealthCheck[];

  constructor(server: Server, checks: HealthChecks = {}) {
    this.#server = server;
    this.#checks = checks;
    this.#overall = checks[OVERALL] ?? [...new Set(Object.values(checks).flat())];
  }

  async check(request: HealthCheckRequest): Promise<{ status: ServingStatus }> {
    const checks = this.#checksFor(request.service);
    if (checks === undefined) throw new GrpcError(Status.NOT_FOUND, `unknown service ${request.service}`);
    return { status: await this.#status(checks) };
  }

  async *watch(request: HealthCheckRequest, call: ServerCall): AsyncIterable<{ status: ServingStatus }> {
    const shutdown = this.#server.signal;
    const checks = this.#checksFor(request.service);
    // Every change, the client going away or the server shutting down wakes the loop.
    let wake: (() => void) | undefined;
    let changed = true;
    const onChange = () => {
      changed = true;
      wake?.();
    };
    const unsubscribes = (checks ?? []).map((check) => check.subscribe(onChange));
    call.signal.addEventListener("abort", onChange);
    shutdown.addEventListener("abort", onChange);
    try {
      let last: ServingStatus | undefined;
      while (!call.signal.aborted) {
        if (changed) {
          changed = false;
          // The spec: an unknown service gets SERVICE_UNKNOWN, and the call stays open.
          const status = checks === undefined ? ServingStatus.SERVICE_UNKNOWN : await this.#status(checks);
          if (status !== last) {
            last = status;
            yield { status };
          }
          if (shutdown.aborted) return;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      for (const unsubscribe of unsubscribes) unsubscribe();
      call.signal.removeEventListener("abort", onChange);
      shutdown.removeEventListener("abort", onChange);
    }
  }

  /** The checks of a service, or undefined if the service is unknown. */
  #checksFor(service: string): readonly HealthCheck[] | undefined {
    if (service === OVERALL) return this.#overall;
    if (Object.hasOwn(this.#checks, service)) return this.#checks[service];
    return this.#server.services.has(service) ? [] : undefined;
  }

  async #status(checks: readonly HealthCheck[]): Promise<ServingStatus> {
    if (this.#server.signal.aborted) return ServingStatus.NOT_SERVING;
    const values = await Promise.all(checks.map((check) => check.check()));
    // The server may have started shutting down while the checks ran.
    if (this.#server.signal.aborted) return ServingStatus.NOT_SERVING;
    if (values.includes(false)) return ServingStatus.NOT_SERVING;
    if (values.includes(undefined)) return ServingStatus.UNKNOWN;
    return ServingStatus.SERVING;
  }
}

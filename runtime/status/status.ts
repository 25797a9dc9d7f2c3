/**
 * gRPC status codes, as listed in the gRPC spec (doc/statuscodes.md).
 *
 * `Status` is both a value (`Status.NOT_FOUND === 5`) and a type (the union of
 * the numeric codes), so a code can be compared, switched on and sent as is.
 */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type Status = (typeof Status)[keyof typeof Status];

const names: string[] = [];
for (const [name, code] of Object.entries(Status)) names[code] = name;

/** The name of a status code (`"NOT_FOUND"`), or `"CODE_<n>"` for a code outside 0–16. */
export function statusName(code: number): string {
  return names[code] ?? `CODE_${code}`;
}

/**
 * Reads a `grpc-status` value. Anything that is not a plain decimal integer is
 * not a status: the caller treats it as UNKNOWN. Codes above 16 are kept, as
 * the spec allows servers to send them.
 */
export function parseStatusCode(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  return Number(value);
}

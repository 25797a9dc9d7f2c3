/**
 * `grpc-timeout` (PROTOCOL-HTTP2, "Timeout"): at most 8 ASCII digits and a unit,
 * H (hours), M (minutes), S (seconds), m (ms), u (µs) or n (ns).
 */

const units: ReadonlyArray<readonly [string, number]> = [
  ["n", 1e-6],
  ["u", 1e-3],
  ["m", 1],
  ["S", 1e3],
  ["M", 60e3],
  ["H", 3600e3],
];
const maxValue = 99_999_999;

/**
 * Encodes a timeout in milliseconds. Uses the finest unit whose value fits in
 * 8 digits, so precision is kept for short timeouts and huge ones stay valid;
 * the value is rounded up, never down, as grpc-go does.
 */
export function encodeTimeout(ms: number): string {
  const timeout = Math.max(0, ms);
  for (const [unit, size] of units) {
    const value = Math.ceil(timeout / size);
    if (value <= maxValue) return `${value}${unit}`;
  }
  return `${maxValue}H`;
}

const timeoutPattern = /^(\d{1,8})([HMSmun])$/;

/**
 * Parses a `grpc-timeout` value into milliseconds. Returns undefined for a
 * malformed value (more than 8 digits, no unit, an unknown unit), which the
 * server rejects as grpc-go does.
 */
export function parseTimeout(value: string): number | undefined {
  const match = timeoutPattern.exec(value);
  if (!match) return undefined;
  const size = units.find(([unit]) => unit === match[2])![1];
  return Number(match[1]) * size;
}

/**
 * `grpc-message` encoding (PROTOCOL-HTTP2, "Status-Message"): the UTF-8 bytes
 * of the message, with every byte outside printable ASCII, and `%` itself,
 * percent-encoded.
 */

const needsEncoding = /[^\x20-\x24\x26-\x7e]/;

/** Percent-encodes a status message for the `grpc-message` trailer. */
export function encodeStatusMessage(message: string): string {
  if (!needsEncoding.test(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * Decodes a `grpc-message` value leniently, as the spec asks: a `%` not
 * followed by two hex digits is kept as is, and invalid UTF-8 becomes U+FFFD.
 */
export function decodeStatusMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(value[i]!, "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

import type { Http2Session } from "node:http2";

/**
 * Closes an HTTP/2 session gracefully (GOAWAY, then wait for open streams) and
 * resolves once it is closed. `session.close(callback)` drops the callback when
 * the session is already closing (for example after the peer's GOAWAY), so
 * this listens for "close" itself.
 */
export function closeSession(session: Http2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.destroyed) {
      resolve();
      return;
    }
    session.once("close", () => resolve());
    // An unref'd session would let the process exit before the peer answers the GOAWAY.
    session.ref();
    session.close();
  });
}

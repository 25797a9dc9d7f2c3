/**
 * The HTTP/2 receive windows the server and the channel use unless told
 * otherwise: 4 MiB per stream (SETTINGS_INITIAL_WINDOW_SIZE) and 4 MiB per
 * connection, as grpclib. Node's own default, 65 535 bytes, lets a peer send
 * only 64 KiB before waiting a round trip for a WINDOW_UPDATE: measured here
 * (`npm run bench:quick`, ours → ours, a busy 2-core machine), 4 MiB windows
 * carried unary calls of 64 KiB at 1.4–2.3× the MB/s over five runs, with
 * the small-message scenarios unchanged within noise. What a peer can make us buffer stays
 * bounded by the connection window.
 */
export const DEFAULT_WINDOW_SIZE = 4 * 1024 * 1024;

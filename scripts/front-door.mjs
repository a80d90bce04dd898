// @ts-check
/**
 * What the console's HTTP server does with a request before Next sees it (scripts/serve.mjs):
 *
 * - **Who is the client.** Forwarded headers (`X-Forwarded-For`, `-Host`, `-Proto`, `-Port`,
 *   `X-Real-IP`, `Forwarded`) are believed only from a peer listed in COFFER_TRUSTED_PROXIES;
 *   from anybody else they are removed, so the app (login throttle, CSRF check, Secure cookie)
 *   can rely on them. The client's address goes to the app in CLIENT_ADDRESS_HEADER, which is
 *   always overwritten here: a client cannot set it.
 * - **Which host was asked for.** The `Host` header must name this console (its listen address,
 *   loopback names, or an origin in COFFER_ALLOWED_ORIGINS); anything else is refused with 421,
 *   which defeats DNS rebinding against a console on loopback.
 *
 * Plain JavaScript with JSDoc types: the server script runs on Node without a compiler.
 */
import net from "node:net";
import os from "node:os";

/** The header that carries the client's address to the app (set here, never by a client). */
export const CLIENT_ADDRESS_HEADER = "x-coffer-client-address";

/** Set on globalThis by the server, so the app knows CLIENT_ADDRESS_HEADER can be believed. */
export const FRONT_DOOR_MARK = Symbol.for("coffer.front-door");

const FORWARDED_HEADERS = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded"];

/**
 * `::ffff:127.0.0.1` -> `127.0.0.1`; other addresses as they are.
 * @param {unknown} address
 * @returns {string}
 */
export function normalizeAddress(address) {
  if (typeof address !== "string") return "";
  const a = address.trim().toLowerCase();
  return a.startsWith("::ffff:") && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

/**
 * Comma-separated IP addresses (COFFER_TRUSTED_PROXIES). Throws on anything that is not an IP
 * address, so a typo does not silently trust nobody or everybody.
 * @param {string | undefined} text
 * @returns {Set<string>}
 */
export function parseTrustedProxies(text) {
  const out = new Set();
  for (const part of (text ?? "").split(",")) {
    const a = part.trim();
    if (a === "") continue;
    if (net.isIP(a) === 0) throw new Error(`COFFER_TRUSTED_PROXIES: '${a}' is not an IP address (list proxies by address, comma-separated)`);
    out.add(normalizeAddress(a));
  }
  return out;
}

/**
 * The client's address: the peer itself, or, when the peer is a trusted proxy, the right-most
 * address in X-Forwarded-For that is not a trusted proxy (what a proxy appended is true; what
 * the client sent to the proxy may be made up, and is left of it).
 * @param {string} peer
 * @param {string | undefined} forwardedFor
 * @param {Set<string>} trusted
 */
export function clientAddress(peer, forwardedFor, trusted) {
  const p = normalizeAddress(peer);
  if (!trusted.has(p) || !forwardedFor) return p;
  const hops = forwardedFor.split(",").map(normalizeAddress).filter((a) => a !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = /** @type {string} */ (hops[i]);
    if (net.isIP(hop) === 0) return p; // garbage: believe only the proxy itself
    if (!trusted.has(hop)) return hop;
  }
  return hops[0] ?? p;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const WILDCARD = new Set(["0.0.0.0", "::", ""]);

/**
 * `host:port` as a Host header carries it (IPv6 in brackets, lower case).
 * @param {string} host
 * @param {string} port
 */
function hostPort(host, port) {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${h}:${port}`.toLowerCase();
}

/**
 * The Host header values this console answers to.
 * @param {{ host: string, port: number | string, allowedOrigins?: string[], interfaces?: string[], hostname?: string }} opts
 * @returns {Set<string>}
 */
export function allowedHosts(opts) {
  const port = String(opts.port);
  const out = new Set();
  const add = (/** @type {string} */ h) => out.add(hostPort(h, port));
  const listen = normalizeAddress(opts.host);
  if (WILDCARD.has(listen)) {
    const addresses =
      opts.interfaces ??
      Object.values(os.networkInterfaces())
        .flat()
        .map((i) => i?.address ?? "");
    for (const a of addresses) if (a) add(normalizeAddress(a.split("%")[0] ?? a));
    const name = (opts.hostname ?? os.hostname()).toLowerCase();
    if (name) {
      add(name);
      add(name.split(".")[0] ?? name);
    }
  } else {
    add(listen);
  }
  if (WILDCARD.has(listen) || LOOPBACK.has(listen)) for (const l of LOOPBACK) add(l);
  for (const origin of opts.allowedOrigins ?? []) {
    try {
      out.add(new URL(origin).host.toLowerCase());
    } catch {
      throw new Error(`COFFER_ALLOWED_ORIGINS: '${origin}' is not an origin (write it as https://backup.example.com)`);
    }
  }
  return out;
}

/**
 * @typedef {{ trustedProxies: Set<string>, allowedHosts: Set<string> }} FrontDoorConfig
 * @typedef {{ headers: Record<string, string | string[] | undefined>, socket: { remoteAddress?: string } }} RequestLike
 */

/**
 * Checks and cleans one request in place. Returns undefined when it may go on to Next, or the
 * refusal to send (status and a plain-text body saying what was wrong and how to allow it).
 * @param {RequestLike} req
 * @param {FrontDoorConfig} config
 * @returns {{ status: number, body: string } | undefined}
 */
export function admit(req, config) {
  const host = String(req.headers.host ?? "").toLowerCase();
  if (!config.allowedHosts.has(host)) {
    const shown = host.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
    return {
      status: 421,
      body: `This console does not answer to the host name '${shown}'. Open it by its own address, or add the name to COFFER_ALLOWED_ORIGINS (e.g. https://backup.example.com) and restart it.\n`,
    };
  }
  const peer = normalizeAddress(req.socket.remoteAddress ?? "");
  const forwarded = req.headers["x-forwarded-for"];
  const client = clientAddress(peer, Array.isArray(forwarded) ? forwarded.join(",") : forwarded, config.trustedProxies);
  if (!config.trustedProxies.has(peer)) {
    for (const h of FORWARDED_HEADERS) delete req.headers[h];
  }
  req.headers[CLIENT_ADDRESS_HEADER] = client;
  return undefined;
}

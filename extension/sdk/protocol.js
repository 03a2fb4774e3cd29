/**
 * The page <-> extension protocol of vitale-bridge, described once.
 *
 * This file is the single source of the message and error shapes shared by the page SDK
 * (`sdk/vitale-bridge.js`), the content script, the background, the popup and the options
 * page. It has no dependencies and no side effects so that each of them can import it (the
 * build inlines it into the content script, which browsers load as a classic script).
 *
 * Page -> content script (window.postMessage, same window only):
 *   { channel: CHANNEL, kind: "request", id, action, params }
 * Content script -> page:
 *   { channel: CHANNEL, kind: "response", id, result }          on success
 *   { channel: CHANNEL, kind: "response", id, error: {code, message, details?} }
 *   { channel: CHANNEL, kind: "event", event, data: {reader, cardType} }
 *
 * Errors travel as plain `{code, message, details}` objects and are rebuilt into typed
 * errors on the page from the stable `code`.
 */

/** Marks every message of ours on the page's window; anything else is ignored. */
export const CHANNEL = "vitale-bridge";

/** Version of this page <-> extension protocol (major.minor); majors must agree. */
export const PAGE_PROTOCOL_VERSION = "2.0";

/** Version of the host JSON-RPC protocol the extension speaks (sent in bridge.hello). */
export const HOST_PROTOCOL_VERSION = "2.0";

/** Native messaging host name (bridge/identity.py NATIVE_HOST_NAME). */
export const NATIVE_HOST_NAME = "fr.vitale_bridge.host";

/** Default localhost WebSocket port (bridge/identity.py DEFAULT_PORT). */
export const DEFAULT_PORT = 27815;

/** Largest page message accepted by the content script, serialised (bytes of JSON). */
export const MAX_PAGE_MESSAGE_BYTES = 8 * 1024;

/** What a page may ask. Everything except `hello` needs the practitioner's consent. */
export const Action = Object.freeze({
  HELLO: "hello",
  CONNECT: "connect",
  STATUS: "status",
  READERS: "readers",
  READ_VITALE: "readVitale",
  CPS_STATUS: "cpsStatus",
  CPS_IDENTITY: "cpsIdentity",
  RESOLVE_OD: "resolveOd",
  SEARCH_OD: "searchOd",
  SUBSCRIBE: "subscribe",
});

/**
 * Kinds of the extension's internal messages (content script <-> background port, our pages
 * <-> background), so that each is told apart by name rather than by which keys it carries.
 */
export const InternalKind = Object.freeze({
  REQUEST: "request",
  RESPONSE: "response",
  EVENT: "event",
  UI: "ui",
  STATE: "state",
  HOST_EVENT: "hostEvent",
});

/** Events a page may receive (only the fact and the card type, never card data). */
export const PageEvent = Object.freeze({
  CARD_INSERTED: "card.inserted",
  CARD_REMOVED: "card.removed",
});

/**
 * Milliseconds each step may take. The page's own timeout also covers the consent prompt,
 * which the practitioner may take a while to answer.
 */
export const Timeouts = Object.freeze({
  detectExtension: 1500,
  hostHello: 5000,
  hostCall: 10000,
  cardRead: 30000,
  consent: 120000,
  pageDefault: 150000,
  /**
   * The consent window's buttons stay inactive this long after it appears (and after it gets
   * the focus back): a click aimed at the page underneath (a double-click trap) lands before
   * they can act. One second, as Firefox's own security dialogs (security.dialog_enable_delay).
   */
  consentArm: 1000,
  /** The extension answers a page's connect() this long before the page's own timeout. */
  consentMargin: 500,
});

/**
 * Stable error codes seen by pages. The host's own codes (bridge/errors.py, `error.data.code`)
 * pass through unchanged; the first block below is added by the extension and the SDK.
 */
export const ErrorCode = Object.freeze({
  // SDK / extension side
  EXTENSION_MISSING: "EXTENSION_MISSING",
  HOST_MISSING: "HOST_MISSING",
  VERSION_MISMATCH: "VERSION_MISMATCH",
  ORIGIN_REFUSED: "ORIGIN_REFUSED",
  INSECURE_CONTEXT: "INSECURE_CONTEXT",
  READ_IN_PROGRESS: "READ_IN_PROGRESS",
  INVALID_REQUEST: "INVALID_REQUEST",
  TIMED_OUT: "TIMED_OUT",
  FRAME_NOT_SUPPORTED: "FRAME_NOT_SUPPORTED",
  CONNECTION_CLOSED: "CONNECTION_CLOSED",
  PAIRING_REQUIRED: "PAIRING_REQUIRED",
  UNTRUSTED_HOST: "UNTRUSTED_HOST",
  // host side (bridge/errors.py)
  NO_READER: "NO_READER",
  READER_NOT_FOUND: "READER_NOT_FOUND",
  PCSC_UNAVAILABLE: "PCSC_UNAVAILABLE",
  NO_CARD: "NO_CARD",
  CARD_REMOVED: "CARD_REMOVED",
  UNSUPPORTED_CARD: "UNSUPPORTED_CARD",
  CARD_COMMUNICATION: "CARD_COMMUNICATION",
  CARD_BUSY: "CARD_BUSY",
  READER_BUSY: "READER_BUSY",
  CPS_REQUIRED: "CPS_REQUIRED",
  OD_NOT_FOUND: "OD_NOT_FOUND",
  OD_TABLE_INVALID: "OD_TABLE_INVALID",
  OD_IMPORT_SUSPICIOUS: "OD_IMPORT_SUSPICIOUS",
  PROFILE_NOT_FOUND: "PROFILE_NOT_FOUND",
  FORBIDDEN: "FORBIDDEN",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  RESULT_TOO_LARGE: "RESULT_TOO_LARGE",
  BRIDGE: "BRIDGE",
  PKCS11_UNAVAILABLE: "PKCS11_UNAVAILABLE",
  NO_TOKEN: "NO_TOKEN",
  NO_CERTIFICATE: "NO_CERTIFICATE",
  UNKNOWN: "UNKNOWN",
});

/** @type {Set<string>} */
const KNOWN_CODES = new Set(Object.values(ErrorCode));

/**
 * The one error shape on every channel.
 * @param {string} code a value of ErrorCode
 * @param {string} message what happened and what to do, in English (UIs translate by code)
 * @param {Record<string, unknown>} [details] non-personal facts only
 * @returns {{code: string, message: string, details?: Record<string, unknown>}}
 */
export function wireError(code, message, details) {
  /** @type {{code: string, message: string, details?: Record<string, unknown>}} */
  const out = { code: KNOWN_CODES.has(code) ? code : ErrorCode.UNKNOWN, message: String(message || "") };
  if (details && typeof details === "object") out.details = details;
  return out;
}

/**
 * Turn a host JSON-RPC error object into the page error shape. Host codes pass through;
 * JSON-RPC protocol errors (-32600..-32603) become INVALID_REQUEST or BRIDGE.
 * @param {{code?: number, message?: string, data?: any}} rpcError
 */
export function fromHostError(rpcError) {
  const data = rpcError && typeof rpcError.data === "object" && rpcError.data ? rpcError.data : {};
  let code = typeof data.code === "string" ? data.code : "";
  if (!code) {
    code = rpcError && (rpcError.code === -32602 || rpcError.code === -32600) ? ErrorCode.INVALID_REQUEST : ErrorCode.BRIDGE;
  }
  const { code: _ignored, ...details } = data;
  return wireError(code, (rpcError && rpcError.message) || "The bridge reported an error.", Object.keys(details).length ? details : undefined);
}

/**
 * Calls waiting for their answer, by id, each with its own timer: the one implementation used
 * by the SDK, the content script and the background's host connection.
 */
export class PendingCalls {
  constructor() {
    /** @type {Map<string|number, {resolve: (v: any) => void, reject: (e: any) => void, timer: any}>} */
    this.entries = new Map();
  }

  get size() {
    return this.entries.size;
  }

  /**
   * Register *id*; the promise settles with settle(id, ...) or, after *timeout* ms (0: never),
   * rejects with onTimeout().
   * @param {string|number} id
   * @param {number} timeout
   * @param {() => any} [onTimeout]
   * @returns {Promise<any>}
   */
  add(id, timeout, onTimeout) {
    return new Promise((resolve, reject) => {
      const timer = timeout > 0
        ? setTimeout(() => {
            this.entries.delete(id);
            reject(onTimeout ? onTimeout() : new Error(`no answer within ${timeout} ms`));
          }, timeout)
        : null;
      this.entries.set(id, { resolve, reject, timer });
    });
  }

  /**
   * Settle *id* with an error (when *error* is given) or a result; false for an unknown id.
   * @param {string|number} id
   * @param {any} error
   * @param {any} [result]
   */
  settle(id, error, result) {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    if (entry.timer !== null) clearTimeout(entry.timer);
    if (error !== undefined && error !== null) entry.reject(error);
    else entry.resolve(result);
    return true;
  }

  /**
   * Reject every call still waiting with makeError() (one error object each).
   * @param {() => any} makeError
   */
  rejectAll(makeError) {
    const ids = [...this.entries.keys()];
    for (const id of ids) this.settle(id, makeError());
  }
}

/**
 * The major part of a "major.minor" version string, or NaN.
 * @param {unknown} version
 */
export function major(version) {
  const m = /^(\d{1,3})\.\d{1,3}/.exec(String(version || ""));
  return m ? Number(m[1]) : NaN;
}

/**
 * True when two protocol versions can talk (same major).
 * @param {unknown} a
 * @param {unknown} b
 */
export function compatible(a, b) {
  const ma = major(a);
  return !Number.isNaN(ma) && ma === major(b);
}

/**
 * Is this a well-formed page request? Returns an error message, or "" when valid. Checks
 * the envelope only; each action checks its own params in the background.
 * @param {any} msg
 */
export function checkPageRequest(msg) {
  if (!msg || typeof msg !== "object") return "not an object";
  if (msg.channel !== CHANNEL || msg.kind !== "request") return "not a request of ours";
  if (typeof msg.id !== "string" || msg.id.length === 0 || msg.id.length > 64) return "bad id";
  if (!Object.values(Action).includes(msg.action)) return "unknown action";
  if (msg.params !== undefined && (msg.params === null || typeof msg.params !== "object" || Array.isArray(msg.params))) {
    return "params must be an object";
  }
  return "";
}

/**
 * The URL's origin may use the bridge from a page only in a secure context: https, or http on
 * the loopback names for development.
 * @param {string} url
 */
export function isAllowedPageUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === "https:") return true;
  return u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
}

/**
 * Exact origin form (scheme://host[:port]) of a URL, or "" when it has none.
 * @param {string} url
 */
export function originOf(url) {
  try {
    const o = new URL(url).origin;
    return o && o !== "null" ? o : "";
  } catch {
    return "";
  }
}

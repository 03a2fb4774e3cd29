/**
 * The two channels to the host. Each opens, sends JSON objects, and reports every incoming
 * message and its own closing; neither knows JSON-RPC.
 *
 * - Native messaging: the browser starts `vitale-bridge native`; only our extension may.
 * - WebSocket on 127.0.0.1: for browsers that cannot start native hosts (snap, Flatpak). The
 *   host accepts the Chrome-family extension origin by default; Firefox's per-install origin
 *   must be allowed by the user (the options page shows the command).
 */

import { NATIVE_HOST_NAME } from "../../sdk/protocol.js";

const api = globalThis.browser ?? globalThis.chrome;

/**
 * Why a channel could not be opened, as one of: notInstalled (no native host registered for
 * this browser), notAllowed (registered, not for this extension), exited (started, then
 * stopped), notRunning (nothing listens on the WebSocket port), refused (something listens but
 * refused this extension's origin).
 */
export class TransportFailure extends Error {
  /** @param {string} message the browser's own words */
  constructor(message) {
    super(message);
    this.reason = nativeReason(message);
  }
}

/**
 * The browser's reason for a native port's disconnection, as a reason code. Chrome: "Specified
 * native messaging host not found.", "Access to the specified native messaging host is
 * forbidden.", "Native host has exited."; Firefox: "No such native application ...".
 * @param {string} message
 */
export function nativeReason(message) {
  const m = String(message || "");
  if (/not found|no such native application/i.test(m)) return "notInstalled";
  if (/forbidden/i.test(m)) return "notAllowed";
  return "exited";
}

export class NativeTransport {
  constructor() {
    this.name = "native";
    this.port = null;
  }

  /**
   * @param {(msg: any) => void} onMessage
   * @param {(reason: string) => void} onClose
   */
  async open(onMessage, onClose) {
    const port = api.runtime.connectNative(NATIVE_HOST_NAME);
    this.port = port;
    port.onMessage.addListener(onMessage);
    port.onDisconnect.addListener((/** @type {any} */ p) => {
      const lastError = api.runtime.lastError;
      const reason = (p && p.error && p.error.message) || (lastError && lastError.message) || "native host exited";
      if (this.port === port) this.port = null;
      onClose(reason);
    });
  }

  /** @param {object} message */
  send(message) {
    if (!this.port) throw new Error("native port closed");
    this.port.postMessage(message);
  }

  close() {
    const port = this.port;
    this.port = null;
    if (port) port.disconnect();
  }
}

export class WebSocketTransport {
  /** @param {number} port */
  constructor(port) {
    this.name = "websocket";
    this.portNumber = port;
    this.url = `ws://127.0.0.1:${port}/`;
    this.ws = null;
  }

  /**
   * @param {(msg: any) => void} onMessage
   * @param {(reason: string) => void} onClose
   * @returns {Promise<void>}
   */
  open(onMessage, onClose) {
    return new Promise((resolve, reject) => {
      let opened = false;
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => {
        opened = true;
        resolve();
      };
      ws.onmessage = (event) => {
        let msg;
        try {
          msg = JSON.parse(event.data);
        } catch {
          return;
        }
        for (const item of Array.isArray(msg) ? msg : [msg]) onMessage(item);
      };
      ws.onclose = (event) => {
        if (this.ws === ws) this.ws = null;
        const reason = `WebSocket closed (${event.code})`;
        if (opened) onClose(reason);
        else this.whyRefused().then(reject);
      };
      // Every error is followed by a close event, which reports it.
      ws.onerror = () => {};
    });
  }

  /**
   * A browser tells a refused handshake (HTTP 403) and an empty port apart to nobody; an HTTP
   * request does: an opaque answer means something listens there.
   * @returns {Promise<TransportFailure>}
   */
  async whyRefused() {
    const failure = new TransportFailure(`nothing answered on ${this.url}`);
    failure.reason = "notRunning";
    try {
      await fetch(`http://127.0.0.1:${this.portNumber}/`, { mode: "no-cors", cache: "no-store", credentials: "omit" });
      failure.reason = "refused";
      failure.message = `a program on port ${this.portNumber} refused this extension`;
    } catch {
      // connection refused: nothing listens
    }
    return failure;
  }

  /** @param {object} message */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new Error("WebSocket closed");
    this.ws.send(JSON.stringify(message));
  }

  close() {
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
  }
}

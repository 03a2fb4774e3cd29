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
    port.onDisconnect.addListener((p) => {
      const lastError = api.runtime.lastError;
      const reason = (p && p.error && p.error.message) || (lastError && lastError.message) || "native host exited";
      if (this.port === port) this.port = null;
      onClose(reason);
    });
  }

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
    this.url = `ws://127.0.0.1:${port}/`;
    this.ws = null;
  }

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
        else reject(new Error(`no bridge listening on ${this.url}, or this extension's origin is not allowed`));
      };
      ws.onerror = () => {};
    });
  }

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

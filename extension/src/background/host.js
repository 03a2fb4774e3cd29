/**
 * The extension's one connection to the host, shared by every tab and the popup.
 *
 * It keeps the channel open (an open native port also keeps Chrome's service worker alive),
 * greets the host with `bridge.hello` and refuses to go on when the protocol majors differ,
 * numbers requests and gives each its own timeout, and reconnects with a growing delay when
 * the host goes away. With transport "auto" it tries native messaging first, then the
 * localhost WebSocket.
 */

import { ErrorCode, HOST_PROTOCOL_VERSION, Timeouts, compatible, fromHostError, wireError } from "../../sdk/protocol.js";
import { NativeTransport, WebSocketTransport } from "./transports.js";

/** Errors raised inside the background carry the page error shape. */
export class BridgeFailure extends Error {
  constructor(code, message, details) {
    super(message);
    this.wire = wireError(code, message, details);
  }
}

/** Delays between reconnection attempts, in ms; the last one repeats. */
export const BACKOFF = [500, 1000, 2000, 5000, 10000, 30000];

/** Host notifications the extension listens to. */
export const HOST_EVENTS = ["card.inserted", "card.removed", "reader.added", "reader.removed"];

/**
 * @typedef {"idle"|"connecting"|"ready"|"incompatible"|"unavailable"} HostState
 */

export class HostConnection {
  /**
   * @param {{settings: () => Promise<{transport: string, port: number}>, clientVersion: string,
   *          makeTransport?: (name: string, port: number) => any}} options
   */
  constructor(options) {
    this.options = options;
    /** @type {HostState} */
    this.state = "idle";
    this.hello = null;
    this.transportName = null;
    /** @type {{code: string, message: string} | null} */
    this.error = null;
    this.transport = null;
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function, timer: any}>} */
    this.pending = new Map();
    this.connecting = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.keepAlive = null;
    /** @type {Set<(method: string, params: any) => void>} */
    this.eventListeners = new Set();
    /** @type {Set<() => void>} */
    this.stateListeners = new Set();
    this.makeTransport = options.makeTransport || ((name, port) => (name === "native" ? new NativeTransport() : new WebSocketTransport(port)));
  }

  /** Short description for the popup and pages (no personal data); the extension's version is
   * the clientVersion this connection greets the host with. */
  summary() {
    return {
      extension: { version: this.options.clientVersion },
      state: this.state,
      transport: this.transportName,
      host: this.hello
        ? {
            name: this.hello.name,
            version: this.hello.version,
            protocolVersion: this.hello.protocolVersion,
            transport: this.hello.transport,
            driver: this.hello.driver,
          }
        : null,
      error: this.error,
    };
  }

  setState(state) {
    this.state = state;
    for (const fn of this.stateListeners) fn();
  }

  /** Resolve when ready, connecting now if needed (cancels a pending backoff). */
  async ensureReady() {
    if (this.state === "ready") return;
    if (!this.connecting) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.connecting = this.connect().finally(() => {
        this.connecting = null;
      });
    }
    await this.connecting;
    if (this.state !== "ready") {
      const err = this.error || wireError(ErrorCode.HOST_MISSING, "The vitale-bridge host is not reachable.");
      throw new BridgeFailure(err.code, err.message, err.details);
    }
  }

  /** Drop the channel and connect again (after a settings change). */
  async restart() {
    this.dropTransport("settings changed");
    this.attempt = 0;
    this.setState("idle");
    try {
      await this.ensureReady();
    } catch {
      // state and error tell the UI what happened
    }
  }

  async connect() {
    const settings = await this.options.settings();
    const order = settings.transport === "auto" ? ["native", "websocket"] : [settings.transport];
    this.setState("connecting");
    const reasons = [];
    for (const name of order) {
      const transport = this.makeTransport(name, settings.port);
      try {
        await this.openAndGreet(transport);
        this.attempt = 0;
        this.error = null;
        this.setState("ready");
        this.subscribeHostEvents();
        return;
      } catch (err) {
        transport.close();
        if (this.transport === transport) this.transport = null;
        if (err instanceof BridgeFailure && err.wire.code === ErrorCode.VERSION_MISMATCH) {
          this.error = err.wire;
          this.setState("incompatible");
          return;
        }
        reasons.push(`${name}: ${err && err.message ? err.message : err}`);
      }
    }
    this.error = wireError(
      ErrorCode.HOST_MISSING,
      "The vitale-bridge host is not installed or not running. Install it (vitale-bridge install) or start it (vitale-bridge serve).",
      { tried: reasons },
    );
    this.setState("unavailable");
    this.scheduleReconnect();
  }

  /** Open one transport and complete the version handshake on it. */
  async openAndGreet(transport) {
    let closedEarly = null;
    let greeted = false;
    const closed = new Promise((_, reject) => {
      closedEarly = reject;
    });
    closed.catch(() => {});
    await transport.open(
      (msg) => this.receive(msg),
      (reason) => {
        if (!greeted) closedEarly(new Error(reason));
        else if (this.transport === transport) this.onTransportClosed(reason);
      },
    );
    this.transport = transport;
    this.transportName = transport.name;
    const greeting = this.send("bridge.hello", this.helloParams(), Timeouts.hostHello);
    let hello;
    try {
      hello = await Promise.race([greeting, closed]);
    } catch (err) {
      this.transport = null;
      throw err;
    }
    if (!compatible(hello.protocolVersion, HOST_PROTOCOL_VERSION)) {
      throw new BridgeFailure(
        ErrorCode.VERSION_MISMATCH,
        `The host speaks protocol ${hello.protocolVersion} but this extension speaks ${HOST_PROTOCOL_VERSION}. Update the older of the two.`,
        { hostProtocolVersion: hello.protocolVersion, extensionProtocolVersion: HOST_PROTOCOL_VERSION },
      );
    }
    this.hello = hello;
    greeted = true;
    clearInterval(this.keepAlive);
    if (transport.name === "websocket") {
      // A WebSocket does not keep a service worker alive by itself: keep some traffic.
      this.keepAlive = setInterval(() => {
        this.call("bridge.hello", this.helloParams()).catch(() => {});
      }, 20000);
    }
  }

  /** Who we are to the host: sent on connecting, and as the WebSocket keep-alive. */
  helloParams() {
    return { clientName: "vitale-bridge-extension", clientVersion: this.options.clientVersion, protocolVersion: HOST_PROTOCOL_VERSION };
  }

  subscribeHostEvents() {
    this.call("events.subscribe", { events: HOST_EVENTS }).catch(() => {});
  }

  scheduleReconnect() {
    if (this.retryTimer) return;
    const delay = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)];
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensureReady().catch(() => {});
    }, delay);
  }

  onTransportClosed(reason) {
    this.dropTransport(reason);
    this.error = wireError(ErrorCode.HOST_MISSING, "The connection to the vitale-bridge host was lost; reconnecting.", { reason });
    this.setState("unavailable");
    this.scheduleReconnect();
  }

  dropTransport(reason) {
    clearInterval(this.keepAlive);
    this.keepAlive = null;
    const transport = this.transport;
    this.transport = null;
    this.hello = null;
    if (transport) transport.close();
    for (const [, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new BridgeFailure(ErrorCode.HOST_MISSING, "The connection to the vitale-bridge host was lost. Retry.", { reason }));
    }
    this.pending.clear();
  }

  receive(msg) {
    if (!msg || typeof msg !== "object") return;
    if (typeof msg.method === "string" && msg.id === undefined) {
      for (const fn of this.eventListeners) fn(msg.method, msg.params);
      return;
    }
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    clearTimeout(entry.timer);
    if (msg.error) {
      const wire = fromHostError(msg.error);
      entry.reject(new BridgeFailure(wire.code, wire.message, wire.details));
    } else {
      entry.resolve(msg.result);
    }
  }

  /** Send on the current transport without waiting for readiness (handshake only). */
  send(method, params, timeout) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BridgeFailure(ErrorCode.TIMEOUT, `The host did not answer ${method} within ${Math.round(timeout / 1000)} s. Retry; if it persists, restart the host.`, { method }));
      }, timeout);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.transport.send({ jsonrpc: "2.0", id, method, params });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new BridgeFailure(ErrorCode.HOST_MISSING, "The connection to the vitale-bridge host is closed. Retry.", { reason: String(err && err.message) }));
      }
    });
  }

  /**
   * Call a host method once the connection is ready.
   * @param {string} method
   * @param {object} [params]
   * @param {number} [timeout] ms
   */
  async call(method, params, timeout = Timeouts.hostCall) {
    await this.ensureReady();
    return this.send(method, params ?? {}, timeout);
  }
}

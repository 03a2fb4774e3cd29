/**
 * The extension's one connection to the host, shared by every tab and the popup.
 *
 * It keeps the channel open (an open native port also keeps Chrome's service worker alive),
 * greets the host with `bridge.hello` and refuses to go on when the protocol majors differ,
 * numbers requests and gives each its own timeout, and reconnects with a growing delay when
 * the host goes away. With transport "auto" it tries native messaging first, then the
 * localhost WebSocket. On the WebSocket, the host must first prove it is this user's bridge
 * (pairing.js); until then nothing but `bridge.hello` is sent and nothing else is accepted.
 */

import { ErrorCode, HOST_PROTOCOL_VERSION, PendingCalls, Timeouts, compatible, fromHostError, wireError } from "../../sdk/protocol.js";
import { newChallenge, proofIsValid } from "./pairing.js";
import { NativeTransport, TransportFailure, WebSocketTransport } from "./transports.js";

/** Errors raised inside the background carry the page error shape. */
export class BridgeFailure extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {Record<string, unknown>} [details]
   */
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
 * @typedef {"idle"|"connecting"|"ready"|"incompatible"|"unavailable"|"pairingRequired"|"untrustedHost"} HostState
 */

/** Failures that stop the connection attempt (no fallback to another channel), and their state. */
const STOPPING = /** @type {Record<string, HostState>} */ ({
  [ErrorCode.VERSION_MISMATCH]: "incompatible",
  [ErrorCode.PAIRING_REQUIRED]: "pairingRequired",
  [ErrorCode.UNTRUSTED_HOST]: "untrustedHost",
});

/**
 * When no channel worked, the failure that says the most: a program that refused us beats a
 * host that started and stopped, which beats "not installed", which beats "not running".
 * @param {{code: string, message: string, details?: any}[]} failures
 */
export function mostTelling(failures) {
  /** @type {Record<string, number>} */
  const order = { exited: 1, notAllowed: 1, notResponding: 1, notInstalled: 2, notRunning: 3 };
  const rank = (/** @type {any} */ f) => (f.code === ErrorCode.FORBIDDEN ? 0 : order[f.details && f.details.reason] ?? 4);
  return [...failures].sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * For a promise whose failure is already told elsewhere (the host state and error, or an
 * answer to the caller): each use says where.
 * @returns {void}
 */
export function toldElsewhere() {}

/**
 * Log a background failure that has no caller to report to, with its reason (never card data:
 * host and extension messages carry none).
 * @param {string} what
 */
export function logFailure(what) {
  return (/** @type {any} */ err) => console.warn(`vitale-bridge: ${what} failed:`, err && err.wire ? err.wire.code : String(err && err.message ? err.message : err));
}

export class HostConnection {
  /**
   * @param {{settings: () => Promise<{transport: string, port: number}>, clientVersion: string,
   *          makeTransport?: (name: string, port: number) => any,
   *          pairing?: {load: () => Promise<string|null>, save: (key: string) => Promise<unknown>}}} options
   */
  constructor(options) {
    this.options = options;
    /** @type {HostState} */
    this.state = "idle";
    this.hello = null;
    this.transportName = null;
    /** @type {{code: string, message: string, details?: any} | null} */
    this.error = null;
    this.transport = null;
    this.nextId = 1;
    this.pending = new PendingCalls();
    /** True once this transport's host is known to be ours (native, or a valid proof). */
    this.trusted = false;
    /** @type {Promise<any>|null} this connection's rpc.discover document, once asked */
    this.description = null;
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

  /**
   * Short description for the popup and pages (no personal data); the extension's version is
   * the clientVersion this connection greets the host with. status() adds `readers`.
   * @returns {{extension: {version: string}, state: HostState, transport: string|null, host: object|null,
   *            error: {code: string, message: string, details?: any}|null, readers?: unknown}}
   */
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

  /** @param {HostState} state */
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
    // connect() changed the state meanwhile (the checker cannot see it through the await).
    if (/** @type {HostState} */ (this.state) !== "ready") {
      const err = this.error || wireError(ErrorCode.HOST_MISSING, "The vitale-bridge host is not reachable.", { reason: "notRunning" });
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
    const failures = [];
    for (const name of order) {
      const transport = this.makeTransport(name, settings.port);
      try {
        await this.openAndGreet(transport);
        this.attempt = 0;
        this.error = null;
        this.setState("ready");
        this.subscribeHostEvents(transport);
        if (transport.name === "native") this.fetchPairingKey();
        return;
      } catch (err) {
        transport.close();
        if (this.transport === transport) this.transport = null;
        const wire = failureOf(err, name, settings.port);
        const stop = STOPPING[wire.code];
        if (stop) {
          this.error = wire;
          this.setState(stop);
          // Another program on the port may go away: try again later. A missing pairing code
          // waits for the options page (saving the code reconnects).
          if (stop === "untrustedHost") this.scheduleReconnect();
          return;
        }
        failures.push(wire);
      }
    }
    this.error = mostTelling(failures);
    this.setState("unavailable");
    this.scheduleReconnect();
  }

  /**
   * Open one transport and complete the version handshake on it.
   * @param {any} transport a NativeTransport, a WebSocketTransport or a test's
   */
  async openAndGreet(transport) {
    /** @type {(err: Error) => void} */
    let closedEarly = () => {};
    let greeted = false;
    const closed = new Promise((_, reject) => {
      closedEarly = reject;
    });
    // Handled by the race below; an early close after the greeting settled has nothing to tell.
    closed.catch(toldElsewhere);
    this.trusted = false;
    const proven = transport.name === "websocket";
    const key = proven && this.options.pairing ? await this.options.pairing.load() : null;
    await transport.open(
      (/** @type {any} */ msg) => this.receive(msg),
      (/** @type {string} */ reason) => {
        if (!greeted) closedEarly(new TransportFailure(reason));
        else if (this.transport === transport) this.onTransportClosed(reason);
      },
    );
    this.transport = transport;
    this.transportName = transport.name;
    const challenge = proven ? newChallenge() : null;
    const params = challenge ? { ...this.helloParams(), challenge } : this.helloParams();
    const greeting = this.send("bridge.hello", params, Timeouts.hostHello);
    let hello;
    try {
      hello = await Promise.race([greeting, closed]).catch((err) => {
        // A host that refuses the challenge (one older than the pairing) proves nothing either.
        const refused = err instanceof BridgeFailure && err.wire.code === ErrorCode.INVALID_REQUEST;
        throw proven && refused ? untrustedHost(transport.portNumber) : err;
      });
      if (proven) await this.checkProof(key, /** @type {string} */ (challenge), hello);
    } catch (err) {
      // The hello's own timer must not outlive the attempt (nor keep a test process waiting).
      this.pending.rejectAll(() => err);
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
    this.trusted = true;
    clearInterval(this.keepAlive);
    if (transport.name === "websocket") {
      // A WebSocket does not keep a service worker alive by itself: keep some traffic.
      this.keepAlive = setInterval(() => {
        this.call("bridge.hello", this.helloParams()).catch(logFailure("keep-alive hello"));
      }, 20000);
    }
  }

  /**
   * The WebSocket peer must prove it holds this user's pairing key before anything else is
   * sent to it or accepted from it (docs/extension.md, "Pairing").
   * @param {string|null} key
   * @param {string} challenge
   * @param {any} hello
   */
  async checkProof(key, challenge, hello) {
    const port = this.transport && this.transport.portNumber;
    if (!key) {
      throw new BridgeFailure(
        ErrorCode.PAIRING_REQUIRED,
        "This browser is not paired with vitale-bridge yet: run vitale-bridge pair and type its code in the extension's options page.",
        { port },
      );
    }
    if (!(await proofIsValid(key, challenge, hello && hello.hostProof))) throw untrustedHost(port);
  }

  /**
   * The host's own description of its API (rpc.discover), asked once per connection: the
   * extension takes its validation limits from it (validate.js).
   * @returns {Promise<any>}
   */
  describe() {
    if (!this.description) {
      const asked = this.call("rpc.discover", {});
      this.description = asked;
      asked.catch(() => {
        // Ask again next time rather than keep a failure (the caller reports this one).
        if (this.description === asked) this.description = null;
      });
    }
    return this.description;
  }

  /** Native only: the host hands over the pairing key the WebSocket fallback will need. */
  fetchPairingKey() {
    const pairing = this.options.pairing;
    if (!pairing) return;
    this.send("bridge.pairingKey", {}, Timeouts.hostCall)
      .then((result) => pairing.save(result && result.pairingKey))
      .catch(logFailure("fetching the pairing key over native messaging"));
  }

  /** Who we are to the host: sent on connecting, and as the WebSocket keep-alive. */
  helloParams() {
    return { clientName: "vitale-bridge-extension", clientVersion: this.options.clientVersion, protocolVersion: HOST_PROTOCOL_VERSION };
  }

  /**
   * Ask the host for card and reader events on *transport*; a failure is retried a few times
   * (the popup and pages would otherwise silently stop hearing about cards), then logged.
   * @param {any} transport
   * @param {number} [tries]
   */
  subscribeHostEvents(transport, tries = 3) {
    this.call("events.subscribe", { events: HOST_EVENTS }).catch((err) => {
      if (this.transport !== transport) return; // that channel is gone; the next one subscribes
      if (tries > 1) setTimeout(() => this.subscribeHostEvents(transport, tries - 1), 1000);
      else logFailure("subscribing to card events")(err);
    });
  }

  scheduleReconnect() {
    if (this.retryTimer) return;
    const delay = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)];
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      // A failure is already in state and error, for the popup; nothing more to say here.
      this.ensureReady().catch(toldElsewhere);
    }, delay);
  }

  /** @param {string} reason */
  onTransportClosed(reason) {
    this.dropTransport(reason);
    this.error = wireError(ErrorCode.HOST_MISSING, "The connection to vitale-bridge was lost; reconnecting. If it persists, restart the computer or call your IT support.", { reason: "lost" });
    this.setState("unavailable");
    this.scheduleReconnect();
  }

  /** @param {string} reason */
  dropTransport(reason) {
    clearInterval(this.keepAlive);
    this.keepAlive = null;
    const transport = this.transport;
    this.transport = null;
    this.hello = null;
    this.trusted = false;
    this.description = null;
    if (transport) transport.close();
    this.pending.rejectAll(
      () => new BridgeFailure(ErrorCode.HOST_MISSING, "The connection to vitale-bridge was lost. Retry.", { reason: "lost", detail: reason }),
    );
  }

  /** @param {any} msg */
  receive(msg) {
    if (!msg || typeof msg !== "object") return;
    if (typeof msg.method === "string" && msg.id === undefined) {
      // Notifications only from a host known to be ours (an unproven WebSocket peer is not).
      if (!this.trusted) return;
      for (const fn of this.eventListeners) fn(msg.method, msg.params);
      return;
    }
    let failure = null;
    if (msg.error) {
      const wire = fromHostError(msg.error);
      failure = new BridgeFailure(wire.code, wire.message, wire.details);
    }
    this.pending.settle(msg.id, failure, msg.result);
  }

  /** Send on the current transport without waiting for readiness (handshake only). */
  /**
   * @param {string} method
   * @param {object} params
   * @param {number} timeout ms
   * @returns {Promise<any>}
   */
  send(method, params, timeout) {
    const id = this.nextId++;
    const answer = this.pending.add(id, timeout, () =>
      new BridgeFailure(ErrorCode.TIMED_OUT, `The host did not answer ${method} within ${Math.round(timeout / 1000)} s. Retry; if it persists, restart the host.`, { method }),
    );
    try {
      this.transport.send({ jsonrpc: "2.0", id, method, params });
    } catch (err) {
      this.pending.settle(id, new BridgeFailure(ErrorCode.HOST_MISSING, "The connection to vitale-bridge is closed. Retry.", { reason: "lost" }));
    }
    return answer;
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

/**
 * The page error shape of a failed connection attempt on one channel.
 * @param {any} err
 * @param {string} transport
 * @param {number} port
 */
function failureOf(err, transport, port) {
  if (err instanceof BridgeFailure) {
    // A host that does not answer hello in time is there but unwell: not "missing".
    if (err.wire.code !== ErrorCode.TIMED_OUT) return err.wire;
  }
  const timedOut = err instanceof BridgeFailure && err.wire.code === ErrorCode.TIMED_OUT;
  const reason = err instanceof TransportFailure ? err.reason : timedOut ? "notResponding" : "exited";
  const text = {
    notInstalled: "vitale-bridge is not installed, or not registered for this browser. Install it (vitale-bridge install, or the package from your IT support), then retry.",
    notAllowed: "vitale-bridge is installed but not registered for this extension. Run vitale-bridge install again, or call your IT support.",
    exited: "vitale-bridge was started but stopped at once. Run vitale-bridge doctor, or call your IT support.",
    notRunning: `vitale-bridge is not running on port ${port}. Start it (vitale-bridge serve), or call your IT support.`,
    notResponding: "vitale-bridge does not answer. Restart the computer; if it persists, call your IT support.",
    refused: `A program on port ${port} refused this browser's extension. If it is vitale-bridge, allow this extension (see the options page); otherwise call your IT support.`,
  }[reason] || "vitale-bridge is not reachable. Retry, or call your IT support.";
  const code = reason === "refused" ? ErrorCode.FORBIDDEN : ErrorCode.HOST_MISSING;
  return wireError(code, text, { transport, reason });
}

/**
 * The WebSocket peer did not prove it holds the pairing key.
 * @param {number} port
 */
function untrustedHost(port) {
  return new BridgeFailure(
    ErrorCode.UNTRUSTED_HOST,
    `The program on port ${port} did not prove it is your vitale-bridge: nothing was sent to it. Another program may hold the port, or vitale-bridge is too old to prove it: call your IT support.`,
    { port },
  );
}

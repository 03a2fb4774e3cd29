/**
 * vitale-bridge page SDK: read the carte Vitale and the CPS from a web EHR.
 *
 *   import { VitaleBridge } from "./vitale-bridge.js";
 *   const bridge = await VitaleBridge.connect();        // may show the consent prompt
 *   const read = await bridge.readVitale({ scope: "auto", resolveOd: true });
 *   bridge.on("card.removed", () => clearPatient());
 *
 * The page never talks to the host: messages go to the vitale-bridge extension's content
 * script through window.postMessage, and the extension decides (with the practitioner's
 * consent for this origin) whether to forward them. No dependencies; see vitale-bridge.d.ts.
 */

import {
  Action,
  CHANNEL,
  ErrorCode,
  PAGE_PROTOCOL_VERSION,
  PageEvent,
  PendingCalls,
  Timeouts,
  compatible,
} from "./protocol.js";

export { ErrorCode, PageEvent, PAGE_PROTOCOL_VERSION };

export const SDK_VERSION = "0.1.0";

/** Base of every error the SDK raises; `code` is stable (see ErrorCode). */
export class VitaleBridgeError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {Record<string, unknown>} [details]
   */
  constructor(code, message, details) {
    super(message || code);
    this.name = "VitaleBridgeError";
    this.code = code;
    this.details = details || {};
  }
}

/** Error class of each stable code, filled by errorClass; errorFromWire rebuilds from it. */
const CLASSES = {};

/** A VitaleBridgeError subclass for *code*, registered so errorFromWire can rebuild it. */
function errorClass(name, code) {
  const cls = class extends VitaleBridgeError {
    constructor(message, details) {
      super(code, message, details);
      this.name = name;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  CLASSES[code] = cls;
  return cls;
}

export const ExtensionMissingError = errorClass("ExtensionMissingError", ErrorCode.EXTENSION_MISSING);
export const HostMissingError = errorClass("HostMissingError", ErrorCode.HOST_MISSING);
export const VersionMismatchError = errorClass("VersionMismatchError", ErrorCode.VERSION_MISMATCH);
export const NoReaderError = errorClass("NoReaderError", ErrorCode.NO_READER);
export const NoCardError = errorClass("NoCardError", ErrorCode.NO_CARD);
export const CardRemovedError = errorClass("CardRemovedError", ErrorCode.CARD_REMOVED);
export const ReaderBusyError = errorClass("ReaderBusyError", ErrorCode.READER_BUSY);
export const CpsRequiredError = errorClass("CpsRequiredError", ErrorCode.CPS_REQUIRED);
export const OriginRefusedError = errorClass("OriginRefusedError", ErrorCode.ORIGIN_REFUSED);
export const TimedOutError = errorClass("TimedOutError", ErrorCode.TIMED_OUT);
export const InsecureContextError = errorClass("InsecureContextError", ErrorCode.INSECURE_CONTEXT);
export const ReadInProgressError = errorClass("ReadInProgressError", ErrorCode.READ_IN_PROGRESS);
export const OdNotFoundError = errorClass("OdNotFoundError", ErrorCode.OD_NOT_FOUND);
export const UnsupportedCardError = errorClass("UnsupportedCardError", ErrorCode.UNSUPPORTED_CARD);
export const Pkcs11UnavailableError = errorClass("Pkcs11UnavailableError", ErrorCode.PKCS11_UNAVAILABLE);
export const NoTokenError = errorClass("NoTokenError", ErrorCode.NO_TOKEN);
export const NoCertificateError = errorClass("NoCertificateError", ErrorCode.NO_CERTIFICATE);
export const FrameNotSupportedError = errorClass("FrameNotSupportedError", ErrorCode.FRAME_NOT_SUPPORTED);
export const ConnectionClosedError = errorClass("ConnectionClosedError", ErrorCode.CONNECTION_CLOSED);
export const PairingRequiredError = errorClass("PairingRequiredError", ErrorCode.PAIRING_REQUIRED);
export const UntrustedHostError = errorClass("UntrustedHostError", ErrorCode.UNTRUSTED_HOST);

/**
 * Rebuild a typed error from its wire shape `{code, message, details}`.
 * Unknown codes give a plain VitaleBridgeError that keeps the code.
 * @param {any} wire
 * @returns {VitaleBridgeError}
 */
export function errorFromWire(wire) {
  const code = wire && typeof wire.code === "string" ? wire.code : ErrorCode.UNKNOWN;
  const message = wire && typeof wire.message === "string" ? wire.message : "";
  const details = wire && typeof wire.details === "object" && wire.details ? wire.details : undefined;
  const Cls = CLASSES[code];
  return Cls ? new Cls(message, details) : new VitaleBridgeError(code, message, details);
}

let counter = 0;
function newId() {
  counter += 1;
  const rnd = globalThis.crypto && typeof globalThis.crypto.randomUUID === "function"
    ? globalThis.crypto.randomUUID()
    : Math.random().toString(36).slice(2);
  return `${counter}-${rnd}`;
}

/**
 * The message channel to the content script on one window. Replies and events are accepted
 * only from the same window and the page's own origin.
 */
class Channel {
  constructor(win) {
    this.win = win;
    this.pending = new PendingCalls();
    /** @type {(event: string, data: any) => void} */
    this.onEvent = () => {};
    this.listener = (event) => this.receive(event);
    win.addEventListener("message", this.listener);
  }

  receive(event) {
    if (event.source !== this.win) return;
    if (event.origin !== this.win.location.origin) return;
    const msg = event.data;
    if (!msg || typeof msg !== "object" || msg.channel !== CHANNEL) return;
    if (msg.kind === "event") {
      if (Object.values(PageEvent).includes(msg.event)) this.onEvent(msg.event, msg.data || {});
      return;
    }
    if (msg.kind !== "response" || typeof msg.id !== "string") return;
    this.pending.settle(msg.id, msg.error ? errorFromWire(msg.error) : null, msg.result);
  }

  /**
   * @param {string} action
   * @param {object} [params]
   * @param {number} timeout milliseconds
   * @param {() => VitaleBridgeError} [onTimeout]
   */
  send(action, params, timeout, onTimeout) {
    const id = newId();
    const answer = this.pending.add(id, timeout, () =>
      onTimeout ? onTimeout() : new TimedOutError(`No answer to ${action} within ${timeout} ms.`, { action }),
    );
    /** @type {Record<string, unknown>} */
    const message = { channel: CHANNEL, kind: "request", id, action };
    if (params !== undefined) message.params = params;
    this.win.postMessage(message, this.win.location.origin);
    return answer;
  }

  close() {
    this.win.removeEventListener("message", this.listener);
    this.pending.rejectAll(() => new ConnectionClosedError("The page closed this connection (close()) before the answer came."));
  }
}

/**
 * A connection from this page to the practitioner's card readers, through the extension.
 */
export class VitaleBridge {
  /**
   * Find the extension, check versions, and ask the practitioner (once, or always) to allow
   * this origin. Rejects with ExtensionMissingError, InsecureContextError, OriginRefusedError,
   * HostMissingError or VersionMismatchError.
   * @param {{timeout?: number, detectTimeout?: number, window?: Window}} [options]
   */
  static async connect(options = {}) {
    const win = options.window || globalThis.window;
    if (!win || typeof win.postMessage !== "function") {
      throw new ExtensionMissingError("VitaleBridge.connect() must run in a browser page.");
    }
    if (win.top !== win) {
      // The extension serves top-level pages only: the consent window names one origin, and
      // a frame's (often a third party's) is not the one the practitioner sees in the address bar.
      throw new FrameNotSupportedError(
        "vitale-bridge works only in the top-level page, not inside a frame: call it from the page that holds the frame (and pass the result on), or open this page in its own tab.",
      );
    }
    if (!win.isSecureContext) {
      throw new InsecureContextError(
        "This page is not a secure context: serve it over https (or http://localhost during development).",
      );
    }
    const channel = new Channel(win);
    try {
      const detect = options.detectTimeout ?? Timeouts.detectExtension;
      const hello = await channel.send(Action.HELLO, { protocolVersion: PAGE_PROTOCOL_VERSION, sdkVersion: SDK_VERSION }, detect, () =>
        new ExtensionMissingError(
          "The vitale-bridge extension is not installed or not enabled in this browser. Install it, then reload the page.",
        ));
      if (!compatible(hello.protocolVersion, PAGE_PROTOCOL_VERSION)) {
        throw new VersionMismatchError(
          `This page's SDK speaks protocol ${PAGE_PROTOCOL_VERSION} but the extension speaks ${hello.protocolVersion}. Update the older one.`,
          { extensionProtocolVersion: hello.protocolVersion, sdkProtocolVersion: PAGE_PROTOCOL_VERSION },
        );
      }
      const timeout = options.timeout ?? Timeouts.pageDefault;
      // The extension closes the consent window just before this timeout and says so.
      const status = await channel.send(Action.CONNECT, { timeout }, timeout);
      return new VitaleBridge(channel, hello, status, timeout);
    } catch (err) {
      channel.close();
      throw err;
    }
  }

  /** @private */
  constructor(channel, hello, status, timeout) {
    this._channel = channel;
    this._timeout = timeout;
    /** Extension version and protocol, from the detection step. */
    this.extension = { version: hello.extensionVersion, protocolVersion: hello.protocolVersion };
    /** Host status at connection time (see status()). */
    this.host = status;
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
    /** @type {Promise<unknown>|null} */
    this._subscription = null;
    this._closed = false;
    channel.onEvent = (event, data) => {
      for (const fn of this._listeners.get(event) || []) {
        try {
          fn({ type: event, reader: data.reader, cardType: data.cardType ?? null });
        } catch (err) {
          setTimeout(() => { throw err; });
        }
      }
    };
  }

  _call(action, params, timeout) {
    if (this._closed) {
      return Promise.reject(new ConnectionClosedError("This connection was closed: call VitaleBridge.connect() again."));
    }
    return this._channel.send(action, params, timeout ?? this._timeout);
  }

  /** Bridge state: versions, transport, driver, readers with their cards. */
  status() {
    return this._call(Action.STATUS, {});
  }

  /** Card readers and whether a card (Vitale / CPS) is in each. */
  readers() {
    return this._call(Action.READERS, {});
  }

  /**
   * Read the carte Vitale.
   * @param {{scope?: "auto"|"clear"|"full", resolveOd?: boolean, reader?: string, cache?: boolean, timeout?: number}} [options]
   */
  readVitale(options = {}) {
    const params = { scope: options.scope ?? "auto", resolveOd: options.resolveOd ?? true };
    if (options.reader !== undefined) params.reader = options.reader;
    if (options.cache !== undefined) params.cache = options.cache;
    return this._call(Action.READ_VITALE, params, options.timeout);
  }

  /** Whether a CPS/CPx card is present, its type and number. */
  cpsStatus() {
    return this._call(Action.CPS_STATUS, {});
  }

  /**
   * Who holds the CPS: RPPS/ADELI, nom, prénom, profession and certificate validity, read
   * from the card's certificate without a PIN. Personal data: shown to allowed origins only.
   * Rejects with Pkcs11UnavailableError, NoTokenError or NoCertificateError.
   * @param {{timeout?: number}} [options]
   */
  cpsIdentity(options = {}) {
    return this._call(Action.CPS_IDENTITY, {}, options.timeout);
  }

  /**
   * The Organisme Destinataire for a (régime, caisse, centre).
   * @param {string} regime 2 digits
   * @param {string} caisse 3 digits
   * @param {string} centre 4 digits
   */
  resolveOd(regime, caisse, centre) {
    return this._call(Action.RESOLVE_OD, { regime, caisse, centre });
  }

  /**
   * Search the OD table by name, commune, postal code or code prefix.
   * @param {string} text
   * @param {{limit?: number}} [options]
   */
  searchOd(text, options = {}) {
    return this._call(Action.SEARCH_OD, { query: text, limit: options.limit ?? 20 });
  }

  /**
   * Be told when a card is inserted or removed (only the event and the card type: read the
   * card to get its data). Returns a function that removes the listener.
   * @param {"card.inserted"|"card.removed"} event
   * @param {(e: {type: string, reader: string, cardType: string|null}) => void} fn
   */
  on(event, fn) {
    if (!Object.values(PageEvent).includes(event)) {
      throw new VitaleBridgeError(ErrorCode.INVALID_REQUEST, `Unknown event ${event}: use "card.inserted" or "card.removed".`);
    }
    if (typeof fn !== "function") throw new TypeError("listener must be a function");
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(fn);
    if (!this._subscription) {
      this._subscription = this._call(Action.SUBSCRIBE, {}).catch((err) => {
        this._subscription = null;
        throw err;
      });
      // eventsReady() gives the failure to the page; say it in the console too, where a
      // developer who never calls eventsReady() will look.
      this._subscription.catch((err) => console.warn("vitale-bridge: card events unavailable:", err && err.code));
    }
    return () => this.off(event, fn);
  }

  /** Resolves once the listeners added with on() receive events (rejects if refused). */
  async eventsReady() {
    if (!this._subscription) return;
    await this._subscription;
  }

  /** Remove a listener added with on(). */
  off(event, fn) {
    const set = this._listeners.get(event);
    if (set) set.delete(fn);
  }

  /** Stop listening; pending calls reject. */
  close() {
    this._closed = true;
    this._listeners.clear();
    this._channel.close();
  }
}

export default VitaleBridge;

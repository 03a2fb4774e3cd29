/**
 * Background entry point (Chrome: module service worker; Firefox: background script module).
 *
 * Listeners are registered synchronously at the top level, as MV3 requires, and route to:
 * - handlePageAction for the "page" port each content script opens (origin from the port's
 *   `sender`, never from the message); a port that subscribed also gets card events, only
 *   while its origin is allowed, and only the event name, reader and card type;
 * - handleUiAction for our own pages (popup, options, consent), one message per call.
 *
 * Every internal message carries an explicit `kind` (protocol.js InternalKind): page ports
 * carry "request" / "response" / "event", our pages send "ui" and their port gets "state" /
 * "hostEvent".
 */

import { Action, ErrorCode, InternalKind, isAllowedPageUrl, originOf, wireError } from "../../sdk/protocol.js";
import { Access } from "./access.js";
import { handlePageAction } from "./actions.js";
import { BridgeFailure, HostConnection, logFailure, toldElsewhere } from "./host.js";
import { policyChanged } from "./policy.js";
import { loadEffectiveSettings, loadPairingKey, savePairingKey } from "./settings.js";
import { handleUiAction } from "./ui.js";

const api = globalThis.browser ?? globalThis.chrome;
const EXTENSION_BASE = api.runtime.getURL("");
const extensionVersion = api.runtime.getManifest().version;

const access = new Access();
const host = new HostConnection({
  settings: loadEffectiveSettings,
  clientVersion: extensionVersion,
  pairing: { load: loadPairingKey, save: savePairingKey },
});
const ctx = { host, access, readsInFlight: new Set() };

/** Ports of pages that listen to card events: port -> {origin, tabId}. */
const eventPorts = new Map();
/** Ports of our own pages (popup) that want live updates. */
const uiPorts = new Set();

/** @param {unknown} err */
function toWire(err) {
  if (err instanceof BridgeFailure) return err.wire;
  return wireError(ErrorCode.UNKNOWN, "Unexpected error in the extension.", { name: err && /** @type {any} */ (err).name });
}

/**
 * Who is calling, from the browser's own account of the sender.
 * @param {any} sender the browser's MessageSender
 */
function callerOf(sender) {
  if (sender.id !== api.runtime.id) return null;
  const url = sender.url || "";
  if (url.startsWith(EXTENSION_BASE)) return { kind: "ui" };
  if (!sender.tab || sender.frameId !== 0 || !isAllowedPageUrl(url)) return null;
  const origin = sender.origin && sender.origin !== "null" ? sender.origin : originOf(url);
  if (!origin || origin !== originOf(url)) return null;
  return { kind: "page", origin, tabId: sender.tab.id };
}

/**
 * @param {Promise<unknown>} work
 * @param {(body: object) => void} respond
 */
function answer(work, respond) {
  work.then(
    (result) => respond({ ok: true, result }),
    (/** @type {unknown} */ err) => respond({ ok: false, error: toWire(err) }),
  );
}

// Our own pages (popup, options, consent) ask with one message each.
api.runtime.onMessage.addListener((/** @type {any} */ message, /** @type {any} */ sender, /** @type {(r: object) => void} */ sendResponse) => {
  const caller = callerOf(sender);
  if (!caller || caller.kind !== "ui" || !message || message.kind !== InternalKind.UI || typeof message.action !== "string") return false;
  answer(handleUiAction(ctx, message.action, message.params || {}), sendResponse);
  return true;
});

api.runtime.onConnect.addListener((/** @type {any} */ port) => {
  const caller = port.sender ? callerOf(port.sender) : null;
  if (caller && caller.kind === "page" && port.name === "page") {
    // A page's requests and, once it subscribed, its card events.
    const who = { origin: caller.origin, tabId: caller.tabId };
    port.onMessage.addListener((/** @type {any} */ msg) => {
      if (!msg || typeof msg !== "object" || msg.kind !== InternalKind.REQUEST || typeof msg.id !== "string") return;
      const params = msg.params && typeof msg.params === "object" && !Array.isArray(msg.params) ? msg.params : {};
      const work = handlePageAction(ctx, who, msg.action, params);
      // A refused subscription is answered to the page just below; only success registers.
      if (msg.action === Action.SUBSCRIBE) work.then(() => eventPorts.set(port, who), toldElsewhere);
      answer(work, (/** @type {object} */ body) => {
        try {
          port.postMessage({ kind: InternalKind.RESPONSE, id: msg.id, ...body });
        } catch {
          // the page went away
        }
      });
    });
    port.onDisconnect.addListener(() => eventPorts.delete(port));
    return;
  }
  if (caller && caller.kind === "ui" && port.name === "ui-events") {
    uiPorts.add(port);
    port.onDisconnect.addListener(() => uiPorts.delete(port));
    return;
  }
  port.disconnect();
});

host.eventListeners.add(async (method, params) => {
  const p = params && typeof params === "object" ? params : {};
  for (const port of uiPorts) port.postMessage({ kind: InternalKind.HOST_EVENT, event: method, reader: p.reader, cardType: p.cardType ?? null });
  if (method !== "card.inserted" && method !== "card.removed") return;
  for (const [port, who] of [...eventPorts]) {
    // Checked at each event: a revoked origin stops hearing at once.
    if (!(await access.isAllowed(who.origin, who.tabId))) continue;
    try {
      port.postMessage({ kind: InternalKind.EVENT, event: method, reader: String(p.reader ?? ""), cardType: p.cardType ?? null });
    } catch {
      eventPorts.delete(port);
    }
  }
});

host.stateListeners.add(() => {
  for (const port of uiPorts) port.postMessage({ kind: InternalKind.STATE, state: host.state });
});

api.tabs.onRemoved.addListener((/** @type {number} */ tabId) => {
  access.tabClosed(tabId).catch(logFailure("forgetting a closed tab's consent"));
  ctx.readsInFlight.delete(tabId);
});

api.windows.onRemoved.addListener((/** @type {number} */ windowId) => access.windowClosed(windowId));

api.storage.onChanged.addListener((/** @type {Record<string, unknown>} */ changes, /** @type {string} */ area) => {
  access.storageChanged(area, changes);
  if (area === "managed") {
    // IT changed the policy: transport or port may have changed too.
    policyChanged();
    host.restart();
  }
  // A typed pairing code restarts the host connection in ui.savePairingCode (ui.js), which
  // reports the new state: restarting here as well would drop the connection it is making.
});

// Connect at start so the popup and pages find the host ready, and events flow. A failure is
// kept in host.state and host.error, which the popup shows.
host.ensureReady().catch(logFailure("connecting to vitale-bridge"));

/**
 * Background entry point (Chrome: module service worker; Firefox: background script module).
 *
 * Listeners are registered synchronously at the top level, as MV3 requires, and route to:
 * - handlePageAction for content scripts (origin from `sender`, never from the message);
 * - handleUiAction for our own pages (popup, options, consent);
 * - the events ports opened by content scripts, which get card events only while their
 *   origin is allowed, and only the event name, reader and card type.
 */

import { CHANNEL, ErrorCode, isAllowedPageUrl, originOf, wireError } from "../../sdk/protocol.js";
import { Access } from "./access.js";
import { handlePageAction } from "./actions.js";
import { BridgeFailure, HostConnection } from "./host.js";
import { loadSettings } from "./settings.js";
import { handleUiAction } from "./ui.js";

const api = globalThis.browser ?? globalThis.chrome;
const EXTENSION_BASE = api.runtime.getURL("");
const extensionVersion = api.runtime.getManifest().version;

const access = new Access();
const host = new HostConnection({ settings: loadSettings, clientVersion: extensionVersion });
const ctx = { host, access, extensionVersion, readsInFlight: new Set() };

/** Ports of pages that listen to card events: port -> {origin, tabId}. */
const eventPorts = new Map();
/** Ports of our own pages (popup) that want live updates. */
const uiPorts = new Set();

function toWire(err) {
  if (err instanceof BridgeFailure) return err.wire;
  return wireError(ErrorCode.UNKNOWN, "Unexpected error in the extension.", { name: err && err.name });
}

/** Who is calling, from the browser's own account of the sender. */
function callerOf(sender) {
  if (sender.id !== api.runtime.id) return null;
  const url = sender.url || "";
  if (url.startsWith(EXTENSION_BASE)) return { kind: "ui" };
  if (!sender.tab || sender.frameId !== 0 || !isAllowedPageUrl(url)) return null;
  const origin = sender.origin && sender.origin !== "null" ? sender.origin : originOf(url);
  if (!origin || origin !== originOf(url)) return null;
  return { kind: "page", origin, tabId: sender.tab.id };
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const caller = callerOf(sender);
  if (!caller || !message || typeof message !== "object") return false;
  let work;
  if (caller.kind === "page" && message.channel === CHANNEL) {
    const params = message.params && typeof message.params === "object" ? message.params : {};
    work = handlePageAction(ctx, caller, message.action, params);
  } else if (caller.kind === "ui" && typeof message.ui === "string") {
    work = handleUiAction(ctx, message.ui, message.params || {});
  } else {
    return false;
  }
  work.then(
    (result) => sendResponse({ ok: true, result }),
    (err) => sendResponse({ ok: false, error: toWire(err) }),
  );
  return true;
});

api.runtime.onConnect.addListener((port) => {
  const caller = port.sender ? callerOf(port.sender) : null;
  if (!caller) {
    port.disconnect();
    return;
  }
  if (caller.kind === "page" && port.name === "page-events") {
    eventPorts.set(port, { origin: caller.origin, tabId: caller.tabId });
    port.onDisconnect.addListener(() => eventPorts.delete(port));
    host.ensureReady().catch(() => {});
  } else if (caller.kind === "ui" && port.name === "ui-events") {
    uiPorts.add(port);
    port.onDisconnect.addListener(() => uiPorts.delete(port));
  } else {
    port.disconnect();
  }
});

host.eventListeners.add(async (method, params) => {
  const p = params && typeof params === "object" ? params : {};
  for (const port of uiPorts) port.postMessage({ event: method, reader: p.reader, cardType: p.cardType ?? null });
  if (method !== "card.inserted" && method !== "card.removed") return;
  for (const [port, who] of [...eventPorts]) {
    // Checked at each event: a revoked origin stops hearing at once.
    if (!(await access.isAllowed(who.origin, who.tabId))) continue;
    try {
      port.postMessage({ event: method, reader: String(p.reader ?? ""), cardType: p.cardType ?? null });
    } catch {
      eventPorts.delete(port);
    }
  }
});

host.stateListeners.add(() => {
  for (const port of uiPorts) port.postMessage({ state: host.state });
});

api.tabs.onRemoved.addListener((tabId) => {
  access.tabClosed(tabId).catch(() => {});
  ctx.readsInFlight.delete(tabId);
});

api.windows.onRemoved.addListener((windowId) => access.windowClosed(windowId));

// Connect at start so the popup and pages find the host ready, and events flow.
host.ensureReady().catch(() => {});

/**
 * Content script: the only door between a web page and the extension.
 *
 * It accepts a message only when it comes from this very window (not a frame, not another
 * window), carries our channel name and is a request; pages get answers on their own origin.
 * The page's origin is never read from the message: the background takes it from the
 * browser's `sender`. Runs in the top frame of https pages and of http://localhost /
 * 127.0.0.1 (development) only; the build inlines ../../sdk/protocol.js above this code.
 */

import {
  Action,
  CHANNEL,
  ErrorCode,
  MAX_PAGE_MESSAGE_BYTES,
  PAGE_PROTOCOL_VERSION,
  checkPageRequest,
  isAllowedPageUrl,
  wireError,
} from "../../sdk/protocol.js";

const api = globalThis.browser ?? globalThis.chrome;
const EVENTS_PORT = "page-events";

let eventsPort = null;
let wantEvents = false;

function reply(id, body) {
  window.postMessage({ channel: CHANNEL, kind: "response", id, ...body }, window.location.origin);
}

function openEventsPort() {
  if (eventsPort || !wantEvents) return;
  try {
    eventsPort = api.runtime.connect({ name: EVENTS_PORT });
  } catch {
    eventsPort = null;
    return; // the extension was reloaded: this page must be reloaded too
  }
  eventsPort.onMessage.addListener((msg) => {
    if (!msg || typeof msg.event !== "string") return;
    const data = { reader: String(msg.reader ?? ""), cardType: msg.cardType ?? null };
    window.postMessage({ channel: CHANNEL, kind: "event", event: msg.event, data }, window.location.origin);
  });
  eventsPort.onDisconnect.addListener(() => {
    eventsPort = null;
    // The background (a service worker in Chrome) may have been restarted: come back.
    setTimeout(openEventsPort, 1000);
  });
}

async function forward(msg) {
  const request = { channel: CHANNEL, action: msg.action, params: msg.params ?? {} };
  let answer;
  try {
    answer = await api.runtime.sendMessage(request);
  } catch {
    return { error: wireError(ErrorCode.EXTENSION_MISSING, "The vitale-bridge extension was updated or disabled: reload the page.") };
  }
  if (!answer || typeof answer !== "object") {
    return { error: wireError(ErrorCode.UNKNOWN, "The extension gave no answer.") };
  }
  return answer.ok ? { result: answer.result } : { error: answer.error };
}

async function onMessage(event) {
  if (event.source !== window || event.origin !== window.location.origin) return;
  const msg = event.data;
  if (!msg || typeof msg !== "object" || msg.channel !== CHANNEL || msg.kind !== "request") return;
  const id = typeof msg.id === "string" ? msg.id.slice(0, 64) : "";
  let size;
  try {
    size = JSON.stringify(msg).length;
  } catch {
    size = Infinity;
  }
  if (size > MAX_PAGE_MESSAGE_BYTES) {
    reply(id, { error: wireError(ErrorCode.INVALID_REQUEST, `Message larger than ${MAX_PAGE_MESSAGE_BYTES} bytes.`) });
    return;
  }
  const problem = checkPageRequest(msg);
  if (problem) {
    reply(id, { error: wireError(ErrorCode.INVALID_REQUEST, `Invalid request: ${problem}.`) });
    return;
  }
  if (msg.action === Action.HELLO) {
    reply(msg.id, { result: { extensionVersion: api.runtime.getManifest().version, protocolVersion: PAGE_PROTOCOL_VERSION } });
    return;
  }
  const body = await forward(msg);
  if (msg.action === Action.SUBSCRIBE && body.result) {
    wantEvents = true;
    openEventsPort();
  }
  reply(msg.id, body);
}

if (window.top === window && window.isSecureContext && isAllowedPageUrl(window.location.href)) {
  window.addEventListener("message", onMessage);
}

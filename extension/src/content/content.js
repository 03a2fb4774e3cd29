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
  InternalKind,
  MAX_PAGE_MESSAGE_BYTES,
  PAGE_PROTOCOL_VERSION,
  PendingCalls,
  checkPageRequest,
  isAllowedPageUrl,
  wireError,
} from "../../sdk/protocol.js";

const api = globalThis.browser ?? globalThis.chrome;
const PORT_NAME = "page";

/**
 * One long-lived port to the background carries this page's requests, their answers and,
 * once subscribed, card events: fewer round trips through the browser than a message each.
 */
/** @type {any} the browser's runtime.Port, or null */
let port = null;
/** Requests forwarded on the port; the background answers each (no timer here: it has its own). */
const pending = new PendingCalls();
let wantEvents = false;
let nextPortId = 1;

/**
 * @param {string} id
 * @param {{result?: unknown, error?: unknown}} body
 */
function reply(id, body) {
  window.postMessage({ channel: CHANNEL, kind: "response", id, ...body }, window.location.origin);
}

/** @param {any} msg */
function onPortMessage(msg) {
  if (!msg || typeof msg !== "object") return;
  if (msg.kind === InternalKind.EVENT && typeof msg.event === "string") {
    const data = { reader: String(msg.reader ?? ""), cardType: msg.cardType ?? null };
    window.postMessage({ channel: CHANNEL, kind: "event", event: msg.event, data }, window.location.origin);
    return;
  }
  if (msg.kind !== InternalKind.RESPONSE) return;
  pending.settle(msg.id, msg.ok ? null : msg.error, msg.result);
}

function openPort() {
  if (port) return port;
  port = api.runtime.connect({ name: PORT_NAME });
  port.onMessage.addListener(onPortMessage);
  port.onDisconnect.addListener(() => {
    port = null;
    pending.rejectAll(() => wireError(ErrorCode.UNKNOWN, "The vitale-bridge extension restarted during the request. Retry."));
    // The background (a service worker in Chrome) may have been restarted: listen again.
    if (wantEvents) setTimeout(resubscribe, 500);
  });
  return port;
}

function resubscribe() {
  if (port || !wantEvents) return;
  forward({ action: Action.SUBSCRIBE, params: {} }).then((body) => {
    if (body.error) console.warn("vitale-bridge: card events could not be resumed:", body.error.code);
  });
}

/**
 * Send a page request to the background; resolves with the page's answer body, {result} or
 * {error}, never rejects.
 * @param {{action: string, params?: object}} msg
 * @returns {Promise<{result?: any, error?: any}>}
 */
function forward(msg) {
  const id = `c${nextPortId++}`;
  const answer = pending.add(id, 0).then((result) => ({ result }), (error) => ({ error }));
  try {
    openPort().postMessage({ kind: InternalKind.REQUEST, id, action: msg.action, params: msg.params ?? {} });
  } catch {
    port = null;
    pending.settle(id, wireError(ErrorCode.EXTENSION_MISSING, "The vitale-bridge extension was updated or disabled: reload the page."));
  }
  return answer;
}

/** @param {MessageEvent} event */
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
  if (msg.action === Action.SUBSCRIBE && body.result) wantEvents = true;
  reply(msg.id, body);
}

if (window.top === window && window.isSecureContext && isAllowedPageUrl(window.location.href)) {
  window.addEventListener("message", onMessage);
}

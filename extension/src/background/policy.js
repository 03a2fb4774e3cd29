// @ts-check
/**
 * What the organisation's IT set for the extension, from the browser's managed storage
 * (Chrome-family: the "3rdparty" extension policy; Firefox: policies.json "3rdparty").
 * The schema is managed_schema.json. Managed values win over the practitioner's settings and
 * cannot be changed or revoked from our pages.
 */

import { originOf } from "../../sdk/protocol.js";

const api = globalThis.browser ?? globalThis.chrome;

/**
 * @typedef {{allowedOrigins: string[], blockedOrigins: string[],
 *            transport: "auto"|"native"|"websocket"|null, websocketPort: number|null}} Policy
 */

/** @type {Policy} */
export const NO_POLICY = Object.freeze({ allowedOrigins: [], blockedOrigins: [], transport: null, websocketPort: null });

/**
 * Keep only exact origins (scheme://host[:port], as the browser reports a sender's origin)
 * and valid values; anything else is dropped, never guessed into shape.
 * @param {any} raw
 * @returns {Policy}
 */
export function cleanPolicy(raw) {
  const p = raw && typeof raw === "object" ? raw : {};
  /** @param {any} list */
  const origins = (list) =>
    Array.isArray(list) ? [...new Set(list.filter((o) => typeof o === "string" && originOf(o) === o))].sort() : [];
  const port = Number(p.websocketPort);
  return {
    allowedOrigins: origins(p.allowedOrigins),
    blockedOrigins: origins(p.blockedOrigins),
    transport: ["auto", "native", "websocket"].includes(p.transport) ? p.transport : null,
    websocketPort: p.websocketPort !== undefined && Number.isInteger(port) && port >= 1024 && port <= 65535 ? port : null,
  };
}

/** @type {Policy|null} */
let cached = null;

/**
 * The managed policy (cached until storage.onChanged says "managed"). A browser with no
 * policy for us answers {} (Chrome) or throws (Firefox without a managed manifest): both mean
 * "nothing set by IT".
 * @returns {Promise<Policy>}
 */
export async function loadPolicy() {
  if (cached) return cached;
  let raw = {};
  if (api.storage.managed) {
    try {
      raw = await api.storage.managed.get(null);
    } catch (err) {
      // Firefox with no policy for this add-on: the normal case, nothing to report.
      raw = {};
      if (!/managed storage manifest not found/i.test(String(err && /** @type {any} */ (err).message))) {
        console.warn("vitale-bridge: managed storage unreadable, no IT policy applied:", String(err));
      }
    }
  }
  cached = cleanPolicy(raw);
  return cached;
}

/** storage.onChanged for the managed area: read the policy again next time. */
export function policyChanged() {
  cached = null;
}

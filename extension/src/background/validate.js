// @ts-check
/**
 * Checks on what pages send, before anything reaches the host. Each returns clean params or
 * throws INVALID_REQUEST naming the field; unknown fields are dropped, never forwarded.
 * Size limits are the host's own, read from its rpc.discover document (hostLimits), so the two
 * cannot disagree; the defaults below serve only when the host cannot say.
 */

import { ErrorCode } from "../../sdk/protocol.js";
import { BridgeFailure } from "./host.js";

/**
 * @typedef {{searchQueryMax: number, searchLimitMax: number, readerNameMax: number}} Limits
 */

/** @type {Limits} */
export const DEFAULT_LIMITS = Object.freeze({ searchQueryMax: 100, searchLimitMax: 100, readerNameMax: 200 });

/**
 * The bound *key* (maxLength, maximum) of one method's param in an OpenRPC document, looking
 * into anyOf (optional params are "string or null"); undefined when the document does not say.
 * @param {any} doc
 * @param {string} method
 * @param {string} param
 * @param {string} key
 * @returns {number|undefined}
 */
function bound(doc, method, param, key) {
  const m = doc && Array.isArray(doc.methods) ? doc.methods.find((/** @type {any} */ x) => x && x.name === method) : null;
  const p = m && Array.isArray(m.params) ? m.params.find((/** @type {any} */ x) => x && x.name === param) : null;
  const schemas = p && p.schema ? [p.schema, ...(Array.isArray(p.schema.anyOf) ? p.schema.anyOf : [])] : [];
  const found = schemas.map((s) => s && s[key]).find((v) => Number.isInteger(v) && v > 0);
  return found;
}

/**
 * The limits an rpc.discover document declares, each falling back to its default.
 * @param {any} doc
 * @returns {Limits}
 */
export function limitsFrom(doc) {
  return {
    searchQueryMax: bound(doc, "od.search", "query", "maxLength") ?? DEFAULT_LIMITS.searchQueryMax,
    searchLimitMax: bound(doc, "od.search", "limit", "maximum") ?? DEFAULT_LIMITS.searchLimitMax,
    readerNameMax: bound(doc, "vitale.read", "reader", "maxLength") ?? DEFAULT_LIMITS.readerNameMax,
  };
}

/**
 * The connected host's limits (its rpc.discover, fetched once per connection).
 * @param {{describe?: () => Promise<any>}} host
 * @returns {Promise<Limits>}
 */
export async function hostLimits(host) {
  if (!host.describe) return DEFAULT_LIMITS;
  try {
    return limitsFrom(await host.describe());
  } catch (err) {
    console.warn("vitale-bridge: the host's limits are unknown (rpc.discover failed), defaults apply:", String(err && err.message));
    return DEFAULT_LIMITS;
  }
}

/** @param {string} message */
function invalid(message) {
  return new BridgeFailure(ErrorCode.INVALID_REQUEST, message);
}

/**
 * @param {any} p
 * @param {Limits} [limits]
 */
export function readVitaleParams(p, limits = DEFAULT_LIMITS) {
  const scope = p.scope ?? "auto";
  if (!["auto", "clear", "full"].includes(scope)) throw invalid('scope must be "auto", "clear" or "full".');
  const resolveOd = p.resolveOd ?? true;
  if (typeof resolveOd !== "boolean") throw invalid("resolveOd must be true or false.");
  /** @type {{scope: string, resolveOd: boolean, reader?: string, cache?: boolean}} */
  const out = { scope, resolveOd };
  if (p.cache !== undefined) {
    if (typeof p.cache !== "boolean") throw invalid("cache must be true or false.");
    out.cache = p.cache;
  }
  if (p.reader !== undefined) {
    if (typeof p.reader !== "string" || p.reader.length === 0 || p.reader.length > limits.readerNameMax) {
      throw invalid(`reader must be a reader name of at most ${limits.readerNameMax} characters.`);
    }
    out.reader = p.reader;
  }
  return out;
}

/** @param {any} p */
export function resolveOdParams(p) {
  const lengths = { regime: 2, caisse: 3, centre: 4 };
  /** @type {Record<string, string>} */
  const out = {};
  for (const [field, length] of Object.entries(lengths)) {
    const value = p[field];
    if (typeof value !== "string" || value.length !== length || !/^\d+$/.test(value)) {
      throw invalid(`${field} must be a string of ${length} digits.`);
    }
    out[field] = value;
  }
  return out;
}

/**
 * @param {any} p
 * @param {Limits} [limits]
 */
export function searchOdParams(p, limits = DEFAULT_LIMITS) {
  const query = p.query;
  if (typeof query !== "string" || query.trim().length === 0 || query.length > limits.searchQueryMax) {
    throw invalid(`query must be a non-empty text of at most ${limits.searchQueryMax} characters.`);
  }
  const limit = p.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.searchLimitMax) {
    throw invalid(`limit must be an integer from 1 to ${limits.searchLimitMax}.`);
  }
  return { query, limit };
}

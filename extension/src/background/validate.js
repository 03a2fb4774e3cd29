/**
 * Checks on what pages send, before anything reaches the host. Each returns clean params or
 * throws INVALID_REQUEST naming the field; unknown fields are dropped, never forwarded.
 */

import { ErrorCode } from "../../sdk/protocol.js";
import { BridgeFailure } from "./host.js";

function invalid(message) {
  return new BridgeFailure(ErrorCode.INVALID_REQUEST, message);
}

/** @param {any} p */
export function readVitaleParams(p) {
  const scope = p.scope ?? "auto";
  if (!["auto", "clear", "full"].includes(scope)) throw invalid('scope must be "auto", "clear" or "full".');
  const resolveOd = p.resolveOd ?? true;
  if (typeof resolveOd !== "boolean") throw invalid("resolveOd must be true or false.");
  const out = { scope, resolveOd };
  if (p.reader !== undefined) {
    if (typeof p.reader !== "string" || p.reader.length === 0 || p.reader.length > 200) throw invalid("reader must be a reader name.");
    out.reader = p.reader;
  }
  return out;
}

/** @param {any} p */
export function resolveOdParams(p) {
  const lengths = { regime: 2, caisse: 3, centre: 4 };
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

/** @param {any} p */
export function searchOdParams(p) {
  const query = p.query;
  if (typeof query !== "string" || query.trim().length === 0 || query.length > 100) {
    throw invalid("query must be a non-empty text of at most 100 characters.");
  }
  const limit = p.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw invalid("limit must be an integer from 1 to 50.");
  return { query, limit };
}

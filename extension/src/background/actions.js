/**
 * What a page may ask, in one switch. Every action except `hello` (answered by the content
 * script) first requires the practitioner's consent for the sender's origin; nothing reaches
 * the host before that. One card read at a time per tab.
 */

import { Action, ErrorCode, Timeouts } from "../../sdk/protocol.js";
import { BridgeFailure, toldElsewhere } from "./host.js";
import { hostLimits, readVitaleParams, resolveOdParams, searchOdParams } from "./validate.js";

/**
 * How long connect() may wait for the consent window: a little less than the page's own
 * timeout (sent by the SDK), so that the page hears the extension's clear TIMED_OUT rather than
 * its own silent one; other actions wait for the window's own limit.
 * @param {string} action
 * @param {any} params
 * @returns {number|undefined}
 */
export function consentDeadline(action, params) {
  const timeout = params.timeout;
  if (action !== Action.CONNECT || !Number.isInteger(timeout) || timeout <= 0) return undefined;
  return Math.min(Timeouts.consent, Math.max(1, timeout - Timeouts.consentMargin));
}

/**
 * @param {{host: import("./host.js").HostConnection, access: import("./access.js").Access,
 *          readsInFlight: Set<number>}} ctx
 * @param {{origin: string, tabId: number}} caller  taken from the browser's sender
 * @param {string} action
 * @param {any} params
 */
export async function handlePageAction(ctx, caller, action, params) {
  const { host, access } = ctx;
  if (!(/** @type {string[]} */ (Object.values(Action))).includes(action) || action === Action.HELLO) {
    throw new BridgeFailure(ErrorCode.INVALID_REQUEST, `Unknown action ${String(action).slice(0, 40)}.`);
  }
  await access.require(caller.origin, caller.tabId, { timeout: consentDeadline(action, params) });
  switch (action) {
    case Action.CONNECT:
      await host.ensureReady();
      return host.summary();
    case Action.STATUS: {
      // Not ready is an answer here: the summary carries the state and the error.
      await host.ensureReady().catch(toldElsewhere);
      const summary = host.summary();
      if (host.state === "ready") {
        summary.readers = await host.call("readers.list", {});
      }
      return summary;
    }
    case Action.READERS:
      return host.call("readers.list", {});
    case Action.READ_VITALE: {
      const clean = readVitaleParams(params, await hostLimits(host));
      if (ctx.readsInFlight.has(caller.tabId)) {
        throw new BridgeFailure(ErrorCode.READ_IN_PROGRESS, "A card read is already in progress for this page. Wait for it to finish.");
      }
      ctx.readsInFlight.add(caller.tabId);
      try {
        return await host.call("vitale.read", clean, Timeouts.cardRead);
      } finally {
        ctx.readsInFlight.delete(caller.tabId);
      }
    }
    case Action.CPS_STATUS:
      return host.call("cps.status", {});
    case Action.CPS_IDENTITY:
      return host.call("cps.identity", {}, Timeouts.cardRead);
    case Action.RESOLVE_OD:
      return host.call("od.resolve", resolveOdParams(params));
    case Action.SEARCH_OD:
      return host.call("od.search", searchOdParams(params, await hostLimits(host)));
    case Action.SUBSCRIBE:
      return { subscribed: true };
    default:
      throw new BridgeFailure(ErrorCode.INVALID_REQUEST, "Unknown action.");
  }
}

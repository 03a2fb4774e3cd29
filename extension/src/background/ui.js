/**
 * What the extension's own pages (popup, options, consent window) may ask. These calls come
 * only from our pages; the practitioner sees everything there, so card data is shown whole.
 */

import { ErrorCode, Timeouts } from "../../sdk/protocol.js";
import { BridgeFailure, toldElsewhere } from "./host.js";
import { loadEffectiveSettings, loadPairingKey, savePairingKey, saveSettings } from "./settings.js";

/**
 * @param {{host: import("./host.js").HostConnection, access: import("./access.js").Access}} ctx
 * @param {string} action
 * @param {any} params
 */
export async function handleUiAction(ctx, action, params) {
  const { host, access } = ctx;
  switch (action) {
    case "ui.state":
      // A failure is part of the summary (state and error), which is the answer.
      await host.ensureReady().catch(toldElsewhere);
      return host.summary();
    case "ui.readers":
      return host.call("readers.list", {});
    case "ui.cps":
      return host.call("cps.status", { identity: true }, Timeouts.cardRead);
    case "ui.readVitale":
      return host.call("vitale.read", { scope: "auto", resolveOd: true }, Timeouts.cardRead);
    case "ui.origins":
      return { origins: await access.list(), ...(await access.managed()) };
    case "ui.revokeOrigin":
      if (typeof params.origin !== "string") throw new BridgeFailure(ErrorCode.INVALID_REQUEST, "origin missing");
      await access.revoke(params.origin);
      return { origins: await access.list(), ...(await access.managed()) };
    case "ui.settings":
      return loadEffectiveSettings();
    case "ui.pairing":
      return { paired: (await loadPairingKey()) !== null };
    case "ui.savePairingCode": {
      const key = await savePairingKey(params.code);
      if (!key) throw new BridgeFailure(ErrorCode.INVALID_REQUEST, "Not a pairing code: type the 20 letters and digits printed by vitale-bridge pair.");
      await host.restart();
      return { paired: true, state: host.state };
    }
    case "ui.saveSettings": {
      await saveSettings(params);
      // Its outcome shows in the popup's state; the options page only needs the saved values.
      host.restart();
      return loadEffectiveSettings();
    }
    case "ui.reconnect":
      await host.restart();
      return host.summary();
    case "ui.consentInfo":
      return access.promptInfo(params.prompt);
    case "ui.consentAnswer":
      return access.answer(params.prompt, params.decision);
    default:
      throw new BridgeFailure(ErrorCode.INVALID_REQUEST, `Unknown action ${String(action).slice(0, 40)}.`);
  }
}

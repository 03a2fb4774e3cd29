/**
 * What the extension's own pages (popup, options, consent window) may ask. These calls come
 * only from our pages; the practitioner sees everything there, so card data is shown whole.
 */

import { ErrorCode, Timeouts } from "../../sdk/protocol.js";
import { BridgeFailure } from "./host.js";
import { loadSettings, saveSettings } from "./settings.js";

/**
 * @param {{host: import("./host.js").HostConnection, access: import("./access.js").Access}} ctx
 * @param {string} action
 * @param {any} params
 */
export async function handleUiAction(ctx, action, params) {
  const { host, access } = ctx;
  switch (action) {
    case "ui.state":
      await host.ensureReady().catch(() => {});
      return host.summary();
    case "ui.readers":
      return host.call("readers.list", {});
    case "ui.cps":
      return host.call("cps.status", { identity: true }, Timeouts.cardRead);
    case "ui.readVitale":
      return host.call("vitale.read", { scope: "auto", resolveOd: true }, Timeouts.cardRead);
    case "ui.origins":
      return access.list();
    case "ui.revokeOrigin":
      if (typeof params.origin !== "string") throw new BridgeFailure(ErrorCode.INVALID_REQUEST, "origin missing");
      await access.revoke(params.origin);
      return access.list();
    case "ui.settings":
      return loadSettings();
    case "ui.saveSettings": {
      const saved = await saveSettings(params);
      host.restart();
      return saved;
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

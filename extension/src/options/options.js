/**
 * Options: the allowed origins (revocable), the channel to the host, the WebSocket port, the
 * language; and, for browsers whose extension origin the host does not know (Firefox gives
 * each install its own moz-extension:// origin), the exact command that allows it.
 */

import { ask, currentLanguage, loadLanguage, t, translatePage } from "../ui/i18n.js";

const CHROME_EXTENSION_ID = "pjlklnmdipclnjibhckdcmjjdeinefpd"; // bridge/identity.py
const $ = (/** @type {string} */ id) => document.getElementById(id);

/**
 * The origins the practitioner allowed (revocable here), those IT pre-approved (shown, not
 * revocable: the policy decides) and those IT blocked.
 * @param {{origins: string[], allowed: string[], blocked: string[]}} state
 */
async function renderOrigins(state) {
  const list = $("origins");
  list.replaceChildren();
  const origins = state.origins.filter((o) => !state.allowed.includes(o));
  $("origins-none").hidden = origins.length + state.allowed.length > 0;
  for (const origin of state.allowed) {
    const by = document.createElement("span");
    by.className = "muted";
    by.textContent = ` — ${t("origins_managed")}`;
    list.append(originItem(origin, "origin-managed", by));
  }
  $("blocked-box").hidden = state.blocked.length === 0;
  $("blocked").replaceChildren(
    ...state.blocked.map((origin) => {
      const li = document.createElement("li");
      li.textContent = origin;
      return li;
    }),
  );
  for (const origin of origins) {
    const button = document.createElement("button");
    button.className = "secondary";
    button.textContent = t("origins_revoke");
    button.dataset.testid = "revoke";
    button.addEventListener("click", async () => renderOrigins(await ask("ui.revokeOrigin", { origin })));
    list.append(originItem(origin, "origin", button));
  }
}

/**
 * One line of the list: the origin, then what goes with it (a button, a note).
 * @param {string} origin
 * @param {string} testid
 * @param {HTMLElement} extra
 */
function originItem(origin, testid, extra) {
  const li = document.createElement("li");
  li.dataset.testid = testid;
  const name = document.createElement("span");
  name.textContent = origin;
  li.append(name, extra);
  return li;
}

function renderWsHelp() {
  const ownOrigin = location.origin;
  const builtin = ownOrigin === `chrome-extension://${CHROME_EXTENSION_ID}`;
  $("ws-help").textContent = builtin ? t("ws_origin_builtin") : t("ws_origin_help");
  $("ws-command").hidden = builtin;
  $("ws-command").textContent = `vitale-bridge origins allow ${ownOrigin}`;
}

async function renderPairing() {
  const { paired } = await ask("ui.pairing");
  $("pairing-status").textContent = paired ? t("pairing_paired") : t("pairing_none");
}

async function main() {
  const settings = await ask("ui.settings");
  await loadLanguage(settings.language);
  translatePage();
  const form = /** @type {HTMLFormElement & {transport: RadioNodeList, port: HTMLInputElement, language: HTMLSelectElement}} */ ($("form"));
  form.transport.value = settings.transport;
  form.port.value = String(settings.port);
  form.language.value = settings.language;
  // What IT set is shown, not editable.
  for (const radio of /** @type {NodeListOf<HTMLInputElement>} */ (form.querySelectorAll("input[name=transport]"))) {
    radio.disabled = settings.managed.transport;
  }
  form.port.disabled = settings.managed.port;
  $("managed-settings").hidden = !(settings.managed.transport || settings.managed.port);
  await renderPairing();
  $("pairing-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("pairing-form").querySelector("[name=code]"));
    const result = $("pairing-result");
    result.hidden = false;
    try {
      const answer = await ask("ui.savePairingCode", { code: input.value });
      input.value = "";
      result.className = answer.state === "ready" ? "muted" : "error";
      result.textContent = answer.state === "ready" ? t("pairing_ok") : t(`state_${answer.state}`);
    } catch {
      result.className = "error";
      result.textContent = t("pairing_invalid");
    }
    await renderPairing();
  });
  renderWsHelp();
  await renderOrigins(await ask("ui.origins"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    /** @type {Record<string, unknown>} */
    const changes = { language: form.language.value };
    // Only what the practitioner may change: a managed value stays the organisation's.
    if (!settings.managed.transport) changes.transport = form.transport.value;
    if (!settings.managed.port) changes.port = Number(form.port.value);
    const saved = await ask("ui.saveSettings", changes);
    if (saved.language !== currentLanguage()) {
      await loadLanguage(saved.language);
      translatePage();
      renderWsHelp();
      await renderOrigins(await ask("ui.origins"));
      await renderPairing();
    }
    $("saved").hidden = false;
    setTimeout(() => ($("saved").hidden = true), 2000);
  });
  document.body.dataset.ready = "true";
}

main();

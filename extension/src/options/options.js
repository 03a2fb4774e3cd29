/**
 * Options: the allowed origins (revocable), the channel to the host, the WebSocket port, the
 * language; and, for browsers whose extension origin the host does not know (Firefox gives
 * each install its own moz-extension:// origin), the exact command that allows it.
 */

import { ask, currentLanguage, loadLanguage, t, translatePage } from "../ui/i18n.js";

const CHROME_EXTENSION_ID = "pjlklnmdipclnjibhckdcmjjdeinefpd"; // bridge/identity.py
const $ = (id) => document.getElementById(id);

async function renderOrigins(origins) {
  const list = $("origins");
  list.replaceChildren();
  $("origins-none").hidden = origins.length > 0;
  for (const origin of origins) {
    const li = document.createElement("li");
    li.dataset.testid = "origin";
    const name = document.createElement("span");
    name.textContent = origin;
    const button = document.createElement("button");
    button.className = "secondary";
    button.textContent = t("origins_revoke");
    button.dataset.testid = "revoke";
    button.addEventListener("click", async () => renderOrigins(await ask("ui.revokeOrigin", { origin })));
    li.append(name, button);
    list.append(li);
  }
}

function renderWsHelp() {
  const ownOrigin = location.origin;
  const builtin = ownOrigin === `chrome-extension://${CHROME_EXTENSION_ID}`;
  $("ws-help").textContent = builtin ? t("ws_origin_builtin") : t("ws_origin_help");
  $("ws-command").hidden = builtin;
  $("ws-command").textContent = `vitale-bridge origins allow ${ownOrigin}`;
}

async function main() {
  const settings = await ask("ui.settings");
  await loadLanguage(settings.language);
  translatePage();
  const form = $("form");
  form.transport.value = settings.transport;
  form.port.value = String(settings.port);
  form.language.value = settings.language;
  renderWsHelp();
  await renderOrigins(await ask("ui.origins"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const saved = await ask("ui.saveSettings", {
      transport: form.transport.value,
      port: Number(form.port.value),
      language: form.language.value,
    });
    if (saved.language !== currentLanguage()) {
      await loadLanguage(saved.language);
      translatePage();
      renderWsHelp();
      await renderOrigins(await ask("ui.origins"));
    }
    $("saved").hidden = false;
    setTimeout(() => ($("saved").hidden = true), 2000);
  });
  document.body.dataset.ready = "true";
}

main();

/**
 * The popup: is the bridge there, which readers and cards, and a read of the carte Vitale
 * shown in full (the practitioner's own view). Errors are said in plain words with what to do.
 */

import { ask, errorText, loadLanguage, t, translatePage } from "../ui/i18n.js";
import { cpsText, renderReaders, renderVitale } from "../ui/render.js";

const api = globalThis.browser ?? globalThis.chrome;
const $ = (/** @type {string} */ id) => document.getElementById(id);
const readButton = () => /** @type {HTMLButtonElement} */ ($("read"));

function showError(box, error) {
  box.hidden = !error;
  box.textContent = error ? errorText(error) : "";
}

async function refreshStatus() {
  const s = await ask("ui.state");
  $("dot").className = `dot ${s.state}`;
  const host = s.host;
  let text;
  if (s.state === "ready" && host) {
    // No channel names here: they mean nothing to whoever reads the card; see the details.
    text = t("state_ready", host.version, host.driver === "simulator" ? ` (${t("driver_simulator")})` : "");
  } else {
    text = t(`state_${s.state}`);
  }
  $("status-text").textContent = text;
  $("versions").textContent = t("extension_version", s.extension.version);
  $("connection").textContent = s.transport && s.state === "ready" ? t("technical_connection", t(`transport_${s.transport}`)) : "";
  showError($("status-error"), s.state === "ready" ? null : s.error);
  readButton().disabled = s.state !== "ready";
  if (s.state !== "ready") {
    $("readers").replaceChildren();
    $("cps").textContent = "";
    return;
  }
  await Promise.all([
    ask("ui.readers").then(
      (readers) => $("readers").replaceChildren(renderReaders(readers)),
      (err) => showError($("status-error"), err),
    ),
    ask("ui.cps").then(
      (cps) => {
        $("cps").textContent = cpsText(cps);
        $("cps").className = cps.identity && cps.identity.expired ? "notice" : "";
      },
      () => {
        $("cps").textContent = "";
      },
    ),
  ]);
}

async function read() {
  const button = readButton();
  button.disabled = true;
  button.textContent = t("reading");
  showError($("read-error"), null);
  $("result").replaceChildren();
  try {
    const result = await ask("ui.readVitale");
    $("result").replaceChildren(renderVitale(result));
  } catch (err) {
    showError($("read-error"), err);
  } finally {
    button.disabled = false;
    button.textContent = t("read_button");
  }
}

async function main() {
  const settings = await ask("ui.settings");
  await loadLanguage(settings.language);
  translatePage();
  $("options").addEventListener("click", (e) => {
    e.preventDefault();
    api.runtime.openOptionsPage();
  });
  $("read").addEventListener("click", read);
  // Live updates: card inserted/removed, host state.
  const port = api.runtime.connect({ name: "ui-events" });
  let pending = null;
  port.onMessage.addListener(() => {
    clearTimeout(pending);
    pending = setTimeout(() => refreshStatus().catch((err) => showError($("status-error"), err)), 100);
  });
  await refreshStatus();
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  showError($("status-error"), err);
  document.body.dataset.ready = "true";
});

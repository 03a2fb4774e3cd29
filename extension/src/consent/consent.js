/**
 * The consent window: names the origin (as the browser reported it, fetched from the
 * background by prompt id, never from this page's URL) and sends the practitioner's choice.
 */

import { ask, loadLanguage, translatePage } from "../ui/i18n.js";

const prompt = new URLSearchParams(location.search).get("prompt") || "";

async function main() {
  const settings = await ask("ui.settings");
  await loadLanguage(settings.language);
  translatePage();
  const info = await ask("ui.consentInfo", { prompt });
  if (!info) {
    document.getElementById("buttons").hidden = true;
    document.getElementById("gone").hidden = false;
    return;
  }
  document.getElementById("origin").textContent = info.origin;
  for (const decision of ["always", "once", "refuse"]) {
    document.getElementById(decision).addEventListener("click", async () => {
      await ask("ui.consentAnswer", { prompt, decision });
      window.close();
    });
  }
  document.body.dataset.ready = "true";
}

main();

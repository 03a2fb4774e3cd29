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
    const button = /** @type {HTMLButtonElement} */ (document.getElementById(decision));
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      const accepted = await ask("ui.consentAnswer", { prompt, decision });
      // Refused only when clicked before the background's own delay: arm again and wait.
      if (accepted) window.close();
      else arm(info.armDelay);
    });
  }
  arm(info.armDelay);
  // Coming back to this window (from the page below, say) arms the buttons again.
  window.addEventListener("focus", () => arm(info.armDelay));
  document.body.dataset.ready = "true";
}

/** @type {ReturnType<typeof setTimeout>|undefined} */
let armTimer;

/**
 * Buttons inactive for *delay* ms, with a bar filling up meanwhile: a click meant for the page
 * underneath, when this window pops up, cannot answer it (click-jacking).
 * @param {number} delay
 */
function arm(delay) {
  const buttons = ["always", "once", "refuse"].map((id) => /** @type {HTMLButtonElement} */ (document.getElementById(id)));
  const bar = /** @type {HTMLElement} */ (document.getElementById("arming"));
  const text = /** @type {HTMLElement} */ (document.getElementById("arming-text"));
  for (const b of buttons) b.disabled = true;
  bar.style.setProperty("--arm-delay", `${delay}ms`);
  bar.classList.remove("running");
  void bar.offsetWidth; // restart the animation
  bar.classList.add("running");
  text.hidden = false;
  clearTimeout(armTimer);
  armTimer = setTimeout(() => {
    for (const b of buttons) b.disabled = false;
    text.hidden = true;
    document.body.dataset.armed = "true";
  }, delay);
}

main().catch((err) => {
  // Without the background's answer there is nothing to decide here: say so.
  console.warn("vitale-bridge: consent window failed:", err && err.code);
  document.getElementById("buttons").hidden = true;
  document.getElementById("gone").hidden = false;
});

/**
 * Translations for our pages, French first. The browser's own i18n picks the language from
 * the browser UI; practitioners in France often run an English browser, so our pages follow
 * the extension setting instead (French unless changed), reading the same _locales files.
 */

import { InternalKind } from "../../sdk/protocol.js";

const api = globalThis.browser ?? globalThis.chrome;

/** @type {Record<string, {message: string}>} */
let messages = {};
let language = "fr";

/** Load one language's messages (falls back to French for missing keys). */
export async function loadLanguage(/** @type {string} */ lang) {
  language = lang === "en" ? "en" : "fr";
  const load = async (/** @type {string} */ l) => (await fetch(api.runtime.getURL(`_locales/${l}/messages.json`))).json();
  const fr = await load("fr");
  messages = language === "fr" ? fr : { ...fr, ...(await load(language)) };
  document.documentElement.lang = language;
  return language;
}

export function currentLanguage() {
  return language;
}

/**
 * @param {string} key
 * @param {...(string|number)} subs values for $1, $2, ...
 */
export function t(key, ...subs) {
  const entry = messages[key];
  if (!entry) return key;
  return entry.message.replace(/\$(\d)/g, (/** @type {string} */ _, /** @type {string} */ n) => String(subs[Number(n) - 1] ?? ""));
}

/**
 * The plain-words explanation of an error code, with what to do.
 * @param {any} error a wire error {code, message, details}
 */
export function errorText(error) {
  const code = error && error.code ? error.code : "UNKNOWN";
  // A failure with a known reason (HOST_MISSING: notInstalled, notRunning, ...) has its own words.
  const reason = error && error.details && typeof error.details.reason === "string" ? error.details.reason : "";
  if (reason && messages[`err_${code}_${reason}`]) return t(`err_${code}_${reason}`);
  const key = `err_${code}`;
  return messages[key] ? t(key) : `${t("err_UNKNOWN")} (${code})`;
}

/** Fill every element carrying data-i18n="key" (text) or data-i18n-title (tooltip). */
export function translatePage(root = document) {
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n]"))) el.textContent = t(el.dataset.i18n);
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n-title]"))) el.title = t(el.dataset.i18nTitle);
}

/**
 * Ask the background (our pages only).
 * @param {string} ui the ui.* action
 * @param {object} [params]
 */
export async function ask(ui, params = {}) {
  const answer = await api.runtime.sendMessage({ kind: InternalKind.UI, action: ui, params });
  if (!answer) throw Object.assign(new Error("no answer"), { code: "UNKNOWN" });
  if (!answer.ok) throw Object.assign(new Error(answer.error.message), answer.error);
  return answer.result;
}

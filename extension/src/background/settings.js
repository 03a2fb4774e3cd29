/**
 * The practitioner's settings, kept in storage.local: which channel to the host, which
 * WebSocket port, which language for the popup. Defaults favour the native channel (only our
 * extension may start the host) and French.
 */

import { DEFAULT_PORT } from "../../sdk/protocol.js";
import { normalizePairingCode } from "./pairing.js";
import { loadPolicy } from "./policy.js";

const api = globalThis.browser ?? globalThis.chrome;

/** @typedef {{transport: "auto"|"native"|"websocket", port: number, language: "fr"|"en"}} Settings */

/** @type {Settings} */
export const DEFAULT_SETTINGS = Object.freeze({ transport: "auto", port: DEFAULT_PORT, language: "fr" });

/**
 * Keep only known keys with valid values; anything else falls back to the default.
 * @param {any} raw
 * @returns {Settings}
 */
export function cleanSettings(raw) {
  const s = raw && typeof raw === "object" ? raw : {};
  const port = Number(s.port);
  return {
    transport: ["auto", "native", "websocket"].includes(s.transport) ? s.transport : DEFAULT_SETTINGS.transport,
    port: Number.isInteger(port) && port >= 1024 && port <= 65535 ? port : DEFAULT_SETTINGS.port,
    language: ["fr", "en"].includes(s.language) ? s.language : DEFAULT_SETTINGS.language,
  };
}

/** @returns {Promise<Settings>} */
export async function loadSettings() {
  const { settings } = await api.storage.local.get("settings");
  return cleanSettings(settings);
}

/**
 * The settings in force: the organisation's managed transport and port win over the
 * practitioner's; `managed` says which ones the options page must show as locked.
 * @returns {Promise<Settings & {managed: {transport: boolean, port: boolean}}>}
 */
export async function loadEffectiveSettings() {
  const [own, policy] = await Promise.all([loadSettings(), loadPolicy()]);
  return {
    ...own,
    transport: policy.transport ?? own.transport,
    port: policy.websocketPort ?? own.port,
    managed: { transport: policy.transport !== null, port: policy.websocketPort !== null },
  };
}

const PAIRING_KEY = "pairingKey";

/** The stored pairing key (docs/extension.md, "Pairing"), or null. */
export async function loadPairingKey() {
  const stored = await api.storage.local.get(PAIRING_KEY);
  return normalizePairingCode(stored[PAIRING_KEY]);
}

/**
 * Store a pairing key (from the native host, or typed in the options page); returns it, or
 * null (and stores nothing) when it is not a valid code.
 * @param {unknown} code
 */
export async function savePairingKey(code) {
  const key = normalizePairingCode(code);
  if (key) await api.storage.local.set({ [PAIRING_KEY]: key });
  return key;
}

/** @param {Partial<Settings>} changes */
export async function saveSettings(changes) {
  const next = cleanSettings({ ...(await loadSettings()), ...changes });
  await api.storage.local.set({ settings: next });
  return next;
}

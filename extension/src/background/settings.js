/**
 * The practitioner's settings, kept in storage.local: which channel to the host, which
 * WebSocket port, which language for the popup. Defaults favour the native channel (only our
 * extension may start the host) and French.
 */

import { DEFAULT_PORT } from "../../sdk/protocol.js";

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

/** @param {Partial<Settings>} changes */
export async function saveSettings(changes) {
  const next = cleanSettings({ ...(await loadSettings()), ...changes });
  await api.storage.local.set({ settings: next });
  return next;
}

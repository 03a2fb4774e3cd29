/**
 * Which web origins may use the card readers, and the consent prompt that decides it.
 *
 * "Always" puts the origin in storage.local (listed and revocable in the options page);
 * "once" allows it for the tab that asked, until that tab closes; "refuse" (or closing the
 * prompt) refuses this tab without asking again until it closes, so that a page cannot flood
 * the practitioner with prompts. Origins are exact strings taken from the browser's sender.
 */

import { ErrorCode, Timeouts } from "../../sdk/protocol.js";
import { BridgeFailure } from "./host.js";

const api = globalThis.browser ?? globalThis.chrome;

const LIST_KEY = "allowedOrigins";
const SESSION_KEY = "tabDecisions";

/** @typedef {"always"|"once"|"refuse"} Decision */

function sessionArea() {
  // storage.session survives a service worker restart but not the browser: right for "once".
  return api.storage.session || null;
}

export class Access {
  constructor() {
    /**
     * Caches of the two stores: every page request checks access, and a storage read is a
     * round trip to the browser process. Writes go to storage and cache together; the cache
     * is dropped when storage changes behind our back (another extension page).
     * @type {string[] | null}
     */
    this.cachedList = null;
    /** @type {Record<string, Decision> | null} */
    this.cachedDecisions = null;
    /** Prompts on screen: id -> {origin, tabId, resolve, windowId, timer}. */
    this.prompts = new Map();
    /** One prompt per (tab, origin): key -> promise of the decision. */
    this.asking = new Map();
    this.nextPrompt = 1;
  }

  async list() {
    if (!this.cachedList) {
      const stored = await api.storage.local.get(LIST_KEY);
      const origins = stored[LIST_KEY];
      this.cachedList = Array.isArray(origins) ? origins.filter((o) => typeof o === "string").sort() : [];
    }
    return [...this.cachedList];
  }

  async saveList(origins) {
    this.cachedList = [...origins].sort();
    await api.storage.local.set({ [LIST_KEY]: this.cachedList });
  }

  /** Storage changed (possibly by another of our pages): read it again next time. */
  storageChanged(area, changes) {
    if (area === "local" && LIST_KEY in changes) this.cachedList = null;
    if (area === "session" && SESSION_KEY in changes) this.cachedDecisions = null;
  }

  async add(origin) {
    const origins = new Set(await this.list());
    origins.add(origin);
    await this.saveList([...origins]);
  }

  async revoke(origin) {
    await this.saveList((await this.list()).filter((o) => o !== origin));
    const decisions = await this.tabDecisions();
    for (const key of Object.keys(decisions)) if (key.endsWith(`|${origin}`)) delete decisions[key];
    await this.saveTabDecisions(decisions);
  }

  async tabDecisions() {
    if (!this.cachedDecisions) {
      const area = sessionArea();
      const stored = area ? await area.get(SESSION_KEY) : {};
      this.cachedDecisions = stored[SESSION_KEY] && typeof stored[SESSION_KEY] === "object" ? stored[SESSION_KEY] : {};
    }
    return { ...this.cachedDecisions };
  }

  async saveTabDecisions(decisions) {
    this.cachedDecisions = { ...decisions };
    const area = sessionArea();
    if (area) await area.set({ [SESSION_KEY]: this.cachedDecisions });
  }

  async tabClosed(tabId) {
    const decisions = await this.tabDecisions();
    let changed = false;
    for (const key of Object.keys(decisions)) {
      if (key.startsWith(`${tabId}|`)) {
        delete decisions[key];
        changed = true;
      }
    }
    if (changed) await this.saveTabDecisions(decisions);
  }

  /** Is this origin allowed (always, or once for this tab)? */
  async isAllowed(origin, tabId) {
    if ((await this.list()).includes(origin)) return true;
    return (await this.tabDecisions())[`${tabId}|${origin}`] === "once";
  }

  /**
   * Resolve when the origin may go on; ask the practitioner if it was never decided.
   * @param {string} origin
   * @param {number} tabId
   */
  async require(origin, tabId) {
    if (!origin) throw new BridgeFailure(ErrorCode.ORIGIN_REFUSED, "The page's origin could not be determined.");
    if (await this.isAllowed(origin, tabId)) return;
    const key = `${tabId}|${origin}`;
    if ((await this.tabDecisions())[key] === "refuse") {
      throw refused(origin);
    }
    let asking = this.asking.get(key);
    if (!asking) {
      asking = this.prompt(origin, tabId).finally(() => this.asking.delete(key));
      this.asking.set(key, asking);
    }
    const decision = await asking;
    if (decision === "always" || decision === "once") return;
    throw refused(origin);
  }

  /** Open the consent window and wait for the practitioner's decision. */
  async prompt(origin, tabId) {
    const id = String(this.nextPrompt++);
    const decision = await new Promise((resolve) => {
      const entry = { origin, tabId, resolve, windowId: null, timer: null };
      entry.timer = setTimeout(() => resolve("timeout"), Timeouts.consent);
      this.prompts.set(id, entry);
      const url = api.runtime.getURL(`src/consent/consent.html?prompt=${encodeURIComponent(id)}`);
      Promise.resolve(api.windows.create({ url, type: "popup", width: 480, height: 420, focused: true }))
        .then((win) => {
          entry.windowId = win && win.id !== undefined ? win.id : null;
        })
        .catch(() => resolve("refuse"));
    });
    const entry = this.prompts.get(id);
    this.prompts.delete(id);
    if (entry) {
      clearTimeout(entry.timer);
      if (entry.windowId !== null) Promise.resolve(api.windows.remove(entry.windowId)).catch(() => {});
    }
    const key = `${tabId}|${origin}`;
    if (decision === "always") await this.add(origin);
    if (decision === "once" || decision === "refuse") {
      const decisions = await this.tabDecisions();
      decisions[key] = decision;
      await this.saveTabDecisions(decisions);
    }
    return decision;
  }

  /** What the consent window shows. */
  promptInfo(id) {
    const entry = this.prompts.get(String(id));
    return entry ? { origin: entry.origin } : null;
  }

  /** The consent window's answer. */
  answer(id, decision) {
    const entry = this.prompts.get(String(id));
    if (!entry || !["always", "once", "refuse"].includes(decision)) return false;
    entry.resolve(decision);
    return true;
  }

  /** The practitioner closed a consent window without answering: refuse, this time only. */
  windowClosed(windowId) {
    for (const [, entry] of this.prompts) {
      if (entry.windowId === windowId) entry.resolve("closed");
    }
  }
}

function refused(origin) {
  return new BridgeFailure(
    ErrorCode.ORIGIN_REFUSED,
    `The practitioner did not allow ${origin} to use the card readers. They can allow it from the vitale-bridge options page, or open the page in a new tab to be asked again.`,
    { origin },
  );
}

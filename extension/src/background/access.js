/**
 * Which web origins may use the card readers, and the consent prompt that decides it.
 *
 * "Always" puts the origin in storage.local (listed and revocable in the options page);
 * "once" allows it for the tab that asked, until that tab closes; "refuse" (or closing the
 * prompt) refuses this tab without asking again until it closes, so that a page cannot flood
 * the practitioner with prompts. Origins are exact strings taken from the browser's sender.
 * The organisation's managed policy (policy.js) pre-approves or blocks origins before any of it.
 */

import { ErrorCode, Timeouts } from "../../sdk/protocol.js";
import { BridgeFailure, logFailure, toldElsewhere } from "./host.js";
import { loadPolicy } from "./policy.js";

const api = globalThis.browser ?? globalThis.chrome;

const LIST_KEY = "allowedOrigins";
const SESSION_KEY = "tabDecisions";

/** @typedef {"always"|"once"|"refuse"} Decision */

function sessionArea() {
  // storage.session survives a service worker restart but not the browser: right for "once".
  return api.storage.session || null;
}

export class Access {
  /**
   * @param {{armDelay?: number, policy?: () => Promise<import("./policy.js").Policy>}} [options]
   *   armDelay: ms during which the consent window's answers are refused (click-jacking)
   */
  constructor(options = {}) {
    this.armDelay = options.armDelay ?? Timeouts.consentArm;
    this.policy = options.policy ?? loadPolicy;
    /**
     * Caches of the two stores: every page request checks access, and a storage read is a
     * round trip to the browser process. Writes go to storage and cache together; the cache
     * is dropped when storage changes behind our back (another extension page).
     * @type {string[] | null}
     */
    this.cachedList = null;
    /** @type {Record<string, Decision> | null} */
    this.cachedDecisions = null;
    /** Prompts on screen: id -> prompt (see promptFor). */
    this.prompts = new Map();
    /** One prompt per origin, answered for every tab waiting on it: origin -> prompt. */
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

  /** @param {string[]} origins */
  async saveList(origins) {
    this.cachedList = [...origins].sort();
    await api.storage.local.set({ [LIST_KEY]: this.cachedList });
  }

  /**
   * Storage changed (possibly by another of our pages): read it again next time.
   * @param {string} area
   * @param {Record<string, unknown>} changes
   */
  storageChanged(area, changes) {
    if (area === "local" && LIST_KEY in changes) this.cachedList = null;
    if (area === "session" && SESSION_KEY in changes) this.cachedDecisions = null;
  }

  /** @param {string} origin */
  async add(origin) {
    const origins = new Set(await this.list());
    origins.add(origin);
    await this.saveList([...origins]);
  }

  /** @param {string} origin */
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

  /** @param {Record<string, Decision>} decisions */
  async saveTabDecisions(decisions) {
    this.cachedDecisions = { ...decisions };
    const area = sessionArea();
    if (area) await area.set({ [SESSION_KEY]: this.cachedDecisions });
  }

  /** @param {number} tabId */
  async tabClosed(tabId) {
    // A window still open for its origin no longer answers for this tab.
    for (const prompt of this.prompts.values()) prompt.tabs.delete(tabId);
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

  /**
   * Is this origin allowed (by the organisation, always, or once for this tab)?
   * @param {string} origin
   * @param {number} tabId
   */
  async isAllowed(origin, tabId) {
    const policy = await this.policy();
    if (policy.blockedOrigins.includes(origin)) return false;
    if (policy.allowedOrigins.includes(origin)) return true;
    if ((await this.list()).includes(origin)) return true;
    return (await this.tabDecisions())[`${tabId}|${origin}`] === "once";
  }

  /**
   * Resolve when the origin may go on; ask the practitioner if it was never decided. The
   * organisation's policy comes first: a blocked origin is refused and a pre-approved one
   * allowed, both without a prompt. One prompt per origin answers every tab waiting on it.
   * @param {string} origin
   * @param {number} tabId
   * @param {{timeout?: number}} [options] the page's own deadline for this request (ms): the
   *   prompt does not outlive it without telling the page what happened
   */
  async require(origin, tabId, options = {}) {
    if (!origin) throw new BridgeFailure(ErrorCode.ORIGIN_REFUSED, "The page's origin could not be determined.");
    const policy = await this.policy();
    if (policy.blockedOrigins.includes(origin)) throw blocked(origin);
    if (await this.isAllowed(origin, tabId)) return;
    if ((await this.tabDecisions())[`${tabId}|${origin}`] === "refuse") throw refused(origin);
    const prompt = this.promptFor(origin);
    prompt.tabs.add(tabId);
    prompt.waiters += 1;
    let timer = null;
    const deadline = options.timeout
      ? new Promise((resolve) => {
          timer = setTimeout(() => resolve("pageTimeout"), options.timeout);
        })
      : null;
    let outcome;
    try {
      outcome = await (deadline ? Promise.race([prompt.decided, deadline]) : prompt.decided);
    } finally {
      clearTimeout(timer);
      prompt.waiters -= 1;
    }
    if (outcome === "pageTimeout") {
      // Nobody else waits on this window: close it, so that no answer is given to nobody.
      if (prompt.waiters === 0) prompt.resolve("abandoned");
      throw new BridgeFailure(
        ErrorCode.TIMED_OUT,
        `The practitioner did not answer the consent window within ${Math.round(/** @type {number} */ (options.timeout) / 1000)} s; it was closed. Call connect() again to ask again.`,
        { step: "consent", origin },
      );
    }
    if (outcome === "always" || outcome === "once") return;
    throw refused(origin);
  }

  /**
   * The prompt on screen for *origin*, opening it when there is none.
   * @param {string} origin
   */
  promptFor(origin) {
    const open = this.asking.get(origin);
    if (open) return open;
    const id = String(this.nextPrompt++);
    /** @type {any} */
    const prompt = { id, origin, tabs: new Set(), waiters: 0, windowId: null, shownAt: null, resolve: null };
    const answered = new Promise((resolve) => {
      prompt.resolve = resolve;
    });
    const timer = setTimeout(() => prompt.resolve("timeout"), Timeouts.consent);
    prompt.decided = answered.then((decision) => this.settle(prompt, decision, timer));
    this.prompts.set(id, prompt);
    this.asking.set(origin, prompt);
    const url = api.runtime.getURL(`src/consent/consent.html?prompt=${encodeURIComponent(id)}`);
    Promise.resolve(api.windows.create({ url, type: "popup", width: 480, height: 440, focused: true })).then(
      (win) => {
        prompt.windowId = win && win.id !== undefined ? win.id : null;
        if (!this.prompts.has(id) && prompt.windowId !== null) this.closeWindow(prompt.windowId);
      },
      (err) => {
        logFailure("opening the consent window")(err);
        prompt.resolve("refuse");
      },
    );
    return prompt;
  }

  /**
   * Record the decision for the origin ("always") or for every tab that waited ("once",
   * "refuse"); a window closed, timed out or abandoned decides nothing for next time.
   * @param {any} prompt
   * @param {string} decision
   * @param {any} timer
   */
  async settle(prompt, decision, timer) {
    clearTimeout(timer);
    this.prompts.delete(prompt.id);
    if (this.asking.get(prompt.origin) === prompt) this.asking.delete(prompt.origin);
    if (prompt.windowId !== null) this.closeWindow(prompt.windowId);
    if (decision === "always") await this.add(prompt.origin);
    if (decision === "once" || decision === "refuse") {
      const decisions = await this.tabDecisions();
      for (const tabId of prompt.tabs) decisions[`${tabId}|${prompt.origin}`] = decision;
      await this.saveTabDecisions(decisions);
    }
    return decision;
  }

  /** @param {number} windowId */
  closeWindow(windowId) {
    // Fails only when the practitioner closed it already, which windowClosed has handled.
    Promise.resolve(api.windows.remove(windowId)).catch(toldElsewhere);
  }

  /**
   * What the consent window shows, and how long its buttons stay inactive. Asked by the window
   * when it has loaded: the delay runs from then, however long the window took to appear.
   * @param {string} id
   */
  promptInfo(id) {
    const entry = this.prompts.get(String(id));
    if (!entry) return null;
    entry.shownAt = Date.now();
    return { origin: entry.origin, armDelay: this.armDelay };
  }

  /**
   * The consent window's answer. Refused (false) before the window has shown the origin and
   * during the armDelay ms after, whatever its buttons did: a click aimed at the page below.
   * @param {string} id
   * @param {string} decision
   */
  answer(id, decision) {
    const entry = this.prompts.get(String(id));
    if (!entry || !["always", "once", "refuse"].includes(decision)) return false;
    if (entry.shownAt === null || Date.now() - entry.shownAt < this.armDelay) return false;
    entry.resolve(decision);
    return true;
  }

  /**
   * The practitioner closed a consent window without answering: refuse, this time only.
   * @param {number} windowId
   */
  windowClosed(windowId) {
    for (const [, entry] of this.prompts) {
      if (entry.windowId === windowId) entry.resolve("closed");
    }
  }

  /** What IT set, for the options page: pre-approved and blocked origins. */
  async managed() {
    const policy = await this.policy();
    return { allowed: policy.allowedOrigins, blocked: policy.blockedOrigins };
  }
}

/** @param {string} origin */
function blocked(origin) {
  return new BridgeFailure(
    ErrorCode.ORIGIN_REFUSED,
    `Your organisation does not allow ${origin} to use the card readers. Call your IT support if this site needs them.`,
    { origin, byPolicy: true },
  );
}

/** @param {string} origin */
function refused(origin) {
  return new BridgeFailure(
    ErrorCode.ORIGIN_REFUSED,
    `The practitioner did not allow ${origin} to use the card readers. They can allow it from the vitale-bridge options page, or open the page in a new tab to be asked again.`,
    { origin },
  );
}

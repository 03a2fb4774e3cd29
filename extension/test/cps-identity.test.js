// The CPS holder (cps.identity) through the SDK, the background and the popup's line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CHANNEL, ErrorCode, PAGE_PROTOCOL_VERSION, fromHostError } from "../sdk/protocol.js";
import { NoTokenError, Pkcs11UnavailableError, VitaleBridge } from "../sdk/vitale-bridge.js";
import { handlePageAction } from "../src/background/actions.js";
import { BridgeFailure } from "../src/background/host.js";

const ZOE = {
  reader: null, identifiantNational: "810100000017", typeIdentifiant: "rpps", typeIdentifiantLibelle: "RPPS",
  numero: "10100000017", nom: "MARTIN", prenom: "Zoé", profession: "Sage-femme", expired: false,
};

/** The page's window, with a content script answering each action through `answer`. */
function pageWith(answer) {
  const listeners = new Set();
  const win = {
    location: { origin: "https://ehr.example.fr" },
    isSecureContext: true,
    /** @type {any} */ top: null,
    sent: [],
    addEventListener: (type, fn) => listeners.add(fn),
    removeEventListener: (type, fn) => listeners.delete(fn),
    postMessage(data) {
      const deliver = (msg) => setTimeout(() => listeners.forEach((fn) => fn({ data: msg, source: win, origin: win.location.origin })), 0);
      if (data.kind !== "request") return;
      win.sent.push([data.action, data.params]);
      Promise.resolve()
        .then(() => answer(data.action))
        .then((result) => deliver({ channel: CHANNEL, kind: "response", id: data.id, result }))
        .catch((error) => deliver({ channel: CHANNEL, kind: "response", id: data.id, error }));
    },
  };
  win.top = win; // the top-level page, not a frame
  return win;
}

test("cpsIdentity() asks for the holder and returns it; host errors come back typed", async () => {
  let error = null;
  const win = pageWith((action) => {
    if (action === "hello") return { extensionVersion: "0.1.0", protocolVersion: PAGE_PROTOCOL_VERSION };
    if (action === "connect") return { state: "ready" };
    if (error) throw error;
    return ZOE;
  });
  const bridge = await VitaleBridge.connect({ window: win });
  assert.deepEqual(await bridge.cpsIdentity(), ZOE);
  assert.deepEqual(win.sent.at(-1), ["cpsIdentity", {}]);
  error = fromHostError({ code: -32051, message: "No token.", data: { code: "NO_TOKEN", tokens: 2 } });
  await assert.rejects(bridge.cpsIdentity(), (err) => err instanceof NoTokenError && err.details.tokens === 2);
  error = fromHostError({ code: -32050, message: "Install the Cryptolib CPS.", data: { code: "PKCS11_UNAVAILABLE" } });
  await assert.rejects(bridge.cpsIdentity(), (err) => err instanceof Pkcs11UnavailableError && err.code === ErrorCode.PKCS11_UNAVAILABLE);
  assert.equal(fromHostError({ code: -32052, message: "x", data: { code: "NO_CERTIFICATE" } }).code, "NO_CERTIFICATE");
  bridge.close();
});

test("the background asks the host for cps.identity only after consent", async () => {
  const calls = [];
  let allowed = false;
  const ctx = {
    host: { async call(method, params) { calls.push([method, params]); return ZOE; } },
    access: { async require() { if (!allowed) throw new BridgeFailure("ORIGIN_REFUSED", "refused"); } },
    readsInFlight: new Set(),
  };
  const caller = { origin: "https://ehr.example.fr", tabId: 1 };
  await assert.rejects(handlePageAction(ctx, caller, "cpsIdentity", {}), (err) => err.wire.code === "ORIGIN_REFUSED");
  assert.deepEqual(calls, []);
  allowed = true;
  assert.equal((await handlePageAction(ctx, caller, "cpsIdentity", { reader: "x" })).nom, "MARTIN");
  assert.deepEqual(calls, [["cps.identity", {}]]);
});

test("the popup's CPS line names the holder, says when the certificate expired, else falls back", async () => {
  const root = new URL("../", import.meta.url);
  globalThis.chrome = { runtime: { getURL: (path) => new URL(path, root).href } };
  globalThis.fetch = async (url) => ({ json: async () => JSON.parse(readFileSync(new URL(url), "utf-8")) });
  globalThis.document = { documentElement: {} };
  const { loadLanguage } = await import("../src/ui/i18n.js");
  const { cpsHolder, cpsText } = await import("../src/ui/render.js");
  assert.equal(cpsHolder(ZOE), "Zoé MARTIN — Sage-femme (RPPS 10100000017)");
  assert.equal(cpsHolder({ ...ZOE, prenom: null, profession: null, typeIdentifiantLibelle: null, identifiantNational: "2123", numero: "123" }), "MARTIN (type 2 123)");
  await loadLanguage("fr");
  assert.equal(cpsText({ present: true, identity: ZOE }), "Carte CPS : Zoé MARTIN — Sage-femme (RPPS 10100000017)");
  assert.equal(cpsText({ present: false, identity: { ...ZOE, expired: true } }), "Carte CPS : Zoé MARTIN — Sage-femme (RPPS 10100000017) — certificat expiré");
  assert.equal(cpsText({ present: true, cardType: "cps3", cardNumber: "8025", identity: null }), "Présente : Carte CPS n° 8025");
  assert.match(cpsText({ present: false, identity: null }), /^Absente/);
  await loadLanguage("en");
  assert.equal(cpsText({ present: true, identity: { ...ZOE, typeIdentifiantLibelle: "ADELI", numero: "751234567" } }), "CPS card: Zoé MARTIN — Sage-femme (ADELI 751234567)");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { ErrorCode } from "../sdk/protocol.js";

const load = (lang) => JSON.parse(fs.readFileSync(new URL(`../_locales/${lang}/messages.json`, import.meta.url), "utf8"));
const LOCALES = { fr: load("fr"), en: load("en") };
const STATES = ["idle", "connecting", "ready", "incompatible", "unavailable", "pairingRequired", "untrustedHost"];
const HOST_MISSING_REASONS = ["notInstalled", "notAllowed", "exited", "notRunning", "notResponding", "lost"];
// Words of the transport layer that mean nothing to a medical secretary.
const JARGON = /websocket|messagerie native|native messaging|pcscd|json|rpc|stdio|127\.0\.0\.1/i;

for (const [lang, messages] of Object.entries(LOCALES)) {
  test(`${lang}: every error code, host state and HOST_MISSING reason has its own words`, () => {
    for (const code of Object.values(ErrorCode)) assert.ok(messages[`err_${code}`], `err_${code}`);
    for (const state of STATES) assert.ok(messages[`state_${state}`], `state_${state}`);
    for (const reason of HOST_MISSING_REASONS) assert.ok(messages[`err_HOST_MISSING_${reason}`], reason);
  });

  test(`${lang}: the popup's states and errors say no jargon, and each error says what to do`, () => {
    const act = lang === "fr"
      ? /réessayez|appelez|insérez|branchez|patientez|rechargez|ouvrez|redémarrez|vérifiez|demandez|retirez|fermez|lisez|importez|mettez|autoriser|saisissez/i
      : /retry|call|insert|plug|wait|reload|open|restart|check|ask|remove|close|read|import|update|allow|type/i;
    for (const [key, { message }] of Object.entries(messages)) {
      if (!key.startsWith("err_") && !key.startsWith("state_")) continue;
      assert.doesNotMatch(message, JARGON, key);
      if (key.startsWith("err_")) assert.match(message, act, `${key} names no action`);
    }
  });
}

test("the two languages have the same keys", () => {
  assert.deepEqual(Object.keys(LOCALES.en).sort(), Object.keys(LOCALES.fr).sort());
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";

globalThis.crypto ??= webcrypto; // Node 18: WebCrypto is not global yet
const { fromBase64url, hostProof, newChallenge, normalizePairingCode, proofIsValid } = await import("../src/background/pairing.js");

// Computed with Python's hmac/hashlib from the spec's formula (docs/extension.md, "Pairing"):
// base64url-no-padding(HMAC-SHA256(key, "vitale-bridge host proof v1\n" + challenge)).
const KEY = "MFRGGZDFMZTWQ2LKNNWG";
const CHALLENGE = "dGVzdC1jaGFsbGVuZ2UtMDEyMzQ1Njc4OWFiY2RlZg";
const PROOF = "cVGUhCiDYZJmAvDDVJxRJwrwaltTDmczYU4ncwpccNg";

test("the proof is the spec's HMAC, as the host computes it", async () => {
  assert.equal(await hostProof(KEY, CHALLENGE), PROOF);
  assert.equal(await proofIsValid(KEY, CHALLENGE, PROOF), true);
});

test("anything else is not a proof: another key, challenge, a changed or malformed value", async () => {
  assert.equal(await proofIsValid("AAAAAAAAAAAAAAAAAAAA", CHALLENGE, PROOF), false);
  assert.equal(await proofIsValid(KEY, CHALLENGE + "x", PROOF), false);
  const flipped = (PROOF[0] === "c" ? "d" : "c") + PROOF.slice(1);
  for (const bad of [flipped, PROOF.slice(0, 42), `${PROOF}=`, "", null, undefined, 42, "!!!"]) {
    assert.equal(await proofIsValid(KEY, CHALLENGE, bad), false, String(bad));
  }
});

test("challenges: 32 random bytes, base64url without padding, never twice the same", () => {
  const a = newChallenge();
  const b = newChallenge();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(fromBase64url(a).length, 32);
});

test("pairing codes: as printed by vitale-bridge pair, in any case, with dashes or spaces", () => {
  assert.equal(normalizePairingCode("mfrg-gzdf mztw-q2lk-nnwg"), KEY);
  assert.equal(normalizePairingCode(KEY), KEY);
  for (const bad of ["MFRG-GZDF", `${KEY}A`, "MFRGGZDFMZTWQ2LKNNW1", "MFRGGZDFMZTWQ2LKNNW8", "", null, {}]) {
    assert.equal(normalizePairingCode(bad), null, String(bad));
  }
});

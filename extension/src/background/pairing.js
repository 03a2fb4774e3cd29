// @ts-check
/**
 * The host's proof on the WebSocket fallback (docs/extension.md, "Pairing").
 *
 * On a shared machine another OS user's program can listen on the bridge's port first. The
 * WebSocket peer is trusted only once it proves it knows this user's pairing key: the
 * extension sends a random challenge in `bridge.hello`, the host answers
 * hostProof = base64url(HMAC-SHA256(key, "vitale-bridge host proof v1\n" + challenge)).
 * Native messaging needs no proof: the browser starts the host itself, as this user.
 */

/** The pairing key: 20 characters of the RFC 4648 base32 alphabet (100 bits). */
export const PAIRING_KEY_LENGTH = 20;

const PROOF_LABEL = "vitale-bridge host proof v1\n";

/**
 * The code the user typed (as `vitale-bridge pair` prints it: groups, dashes, any case), as
 * the 20-character key; null when it is not one.
 * @param {unknown} code
 * @returns {string|null}
 */
export function normalizePairingCode(code) {
  if (typeof code !== "string" || code.length > 64) return null;
  const key = code.replace(/[\s-]/g, "").toUpperCase();
  return key.length === PAIRING_KEY_LENGTH && /^[A-Z2-7]+$/.test(key) ? key : null;
}

/** @param {Uint8Array} bytes */
export function base64url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * @param {string} text base64url without padding
 * @returns {Uint8Array<ArrayBuffer>|null}
 */
export function fromBase64url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A fresh challenge: 32 random bytes, base64url without padding (43 characters). */
export function newChallenge() {
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** @param {string} key */
function hmacKey(key) {
  const raw = new TextEncoder().encode(key);
  return globalThis.crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/**
 * The proof the host must give for *challenge* (tests and look-alike servers compute it too).
 * @param {string} key
 * @param {string} challenge
 */
export async function hostProof(key, challenge) {
  const sig = await globalThis.crypto.subtle.sign("HMAC", await hmacKey(key), new TextEncoder().encode(PROOF_LABEL + challenge));
  return base64url(new Uint8Array(sig));
}

/**
 * Is *proof* the host's answer to *challenge* under *key*? WebCrypto's verify compares in
 * constant time; anything malformed is simply false.
 * @param {string} key
 * @param {string} challenge
 * @param {unknown} proof
 */
export async function proofIsValid(key, challenge, proof) {
  const sig = typeof proof === "string" ? fromBase64url(proof) : null;
  if (!sig || sig.length !== 32) return false;
  return globalThis.crypto.subtle.verify("HMAC", await hmacKey(key), sig, new TextEncoder().encode(PROOF_LABEL + challenge));
}

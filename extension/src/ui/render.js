/**
 * Rendering of readers and of a carte Vitale read, shared by the popup. Builds DOM nodes with
 * textContent only (card data is never parsed as HTML).
 */

import { t } from "./i18n.js";

/** @param {string} tag @param {Record<string,string>} [attrs] @param {...(Node|string|null)} children */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function cardLabel(cardType) {
  if (!cardType) return t("card_none");
  if (cardType.startsWith("vitale")) return t("card_vitale");
  if (cardType.startsWith("cps")) return t("card_cps");
  return t("card_unknown");
}

/**
 * The CPS holder in one line, the same in every language: "Zoé MARTIN — Sage-femme (RPPS
 * 10100000017)". Only what the certificate gives: a missing part is left out, never invented.
 * @param {any} identity a CpsIdentity (cps.identity)
 */
export function cpsHolder(identity) {
  const names = [identity.prenom, identity.nom].filter(Boolean).join(" ");
  const kind = String(identity.typeIdentifiantLibelle || `type ${String(identity.identifiantNational || "?")[0]}`).split(" /")[0];
  const who = identity.profession ? `${names} — ${identity.profession}` : names;
  return `${who} (${kind} ${identity.numero})`.trim();
}

/**
 * The popup's CPS line from cps.status {identity: true}: the holder when the certificate was
 * read (expired said so), else the card as before (type and number), else absent.
 * @param {any} cps
 */
export function cpsText(cps) {
  if (cps && cps.identity) {
    const line = t("cps_identity", cpsHolder(cps.identity));
    return cps.identity.expired ? `${line} ${t("cps_expired")}` : line;
  }
  if (cps && cps.present) return t("cps_present", cardLabel(cps.cardType) + (cps.cardNumber ? ` n° ${cps.cardNumber}` : ""));
  return t("cps_absent");
}

/** @param {any} readers readers.list result: a list, or {readers: [...]} */
export function readerList(readers) {
  return Array.isArray(readers) ? readers : readers && Array.isArray(readers.readers) ? readers.readers : [];
}

export function renderReaders(readers) {
  const list = readerList(readers);
  if (list.length === 0) return el("p", { class: "muted", "data-testid": "no-reader" }, t("readers_none"));
  return el(
    "ul",
    { class: "readers" },
    ...list.map((r) =>
      el(
        "li",
        { "data-testid": "reader" },
        el("span", { class: "reader-name" }, r.name),
        el("span", { class: `badge ${r.cardPresent ? (String(r.cardType || "").startsWith("cps") ? "cps" : "vitale") : "empty"}` }, r.cardPresent ? cardLabel(r.cardType) : t("card_none")),
      ),
    ),
  );
}

function birth(b) {
  if (!b) return "";
  if (b.iso) {
    const [y, m, d] = b.iso.split("-");
    return `${d}/${m}/${y}`;
  }
  return b.raw || "";
}

function nir(n) {
  if (!n) return "";
  return n.key ? `${n.number} ${n.key}` : n.number;
}

function row(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return el("tr", {}, el("th", {}, label), el("td", {}, String(value)));
}

/** @param {any} read a VitaleRead (bridge/cards/models.py) */
export function renderVitale(read) {
  const box = el("div", { class: "vitale", "data-testid": "vitale-result" });
  const benefs = Array.isArray(read.beneficiaries) ? read.beneficiaries : [];
  box.append(el("h3", {}, t("beneficiaries_title", benefs.length)));
  const list = el("ol", { class: "beneficiaries" });
  for (const b of benefs) {
    const table = el(
      "table",
      {},
      row(t("field_nir"), nir(b.nir)),
      row(t("field_birth"), birth(b.dateNaissance)),
      row(t("field_rang"), b.rangNaissance ?? t("value_unknown")), // null: the card did not give it
      row(t("field_qualite"), b.amo ? b.amo.qualiteLibelle || b.amo.qualite : null),
    );
    list.append(el("li", { "data-testid": "beneficiary" }, el("strong", {}, `${b.nom || ""} ${b.prenom || ""}`.trim()), table));
  }
  box.append(list);
  if (read.amo) {
    box.append(
      el("h3", {}, t("amo_title")),
      el(
        "table",
        { "data-testid": "amo" },
        row(t("field_regime"), read.amo.regime),
        row(t("field_caisse"), read.amo.caisse),
        row(t("field_centre"), read.amo.centre),
        row(t("field_code_gestion"), read.amo.codeGestion),
      ),
    );
  } else if (read.availability && (read.availability.reasonCode || read.availability.reason)) {
    // The host explains in English; say it in the practitioner's language when the code is known.
    const code = read.availability.reasonCode;
    const why = code && t(`amo_reason_${code}`) !== `amo_reason_${code}` ? t(`amo_reason_${code}`) : read.availability.reason;
    box.append(el("p", { class: "notice", "data-testid": "amo-absent" }, `${t("amo_absent")} ${why}`));
  }
  // The host's OrganismeDestinataire (bridge/od/models.py), under its wire names.
  const od = read.organismeDestinataire;
  if (od && typeof od === "object") {
    box.append(
      el("h3", {}, t("od_title")),
      el(
        "table",
        { "data-testid": "od" },
        row(t("field_od_libelle"), od.libelle),
        row(t("field_od_code"), od.od),
        row(t("field_od_ci"), od.codeCentreInformatique),
        row(t("field_od_commune"), [od.codePostal, od.commune].filter(Boolean).join(" ")),
      ),
    );
  } else if (read.odStatus === "notFound") {
    box.append(el("p", { class: "notice" }, t("od_not_found")));
  }
  return box;
}

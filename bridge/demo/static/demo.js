/**
 * Demo EHR: fills the patient-intake form from the carte Vitale using only the public SDK.
 * This file is the integration example of docs/sdk.md: connect, read, pick a beneficiary,
 * show the organisme destinataire, react to the card being inserted or pulled out.
 */

import { ErrorCode, VitaleBridge } from "/sdk/vitale-bridge.js";

const $ = (id) => document.getElementById(id);
const form = $("patient");

/** What the practitioner is told for each error code, and what to do. */
const MESSAGES = {
  [ErrorCode.EXTENSION_MISSING]: "L'extension vitale-bridge n'est pas installée dans ce navigateur. Installez-la puis rechargez la page.",
  [ErrorCode.HOST_MISSING]: "Le logiciel vitale-bridge ne répond pas sur ce poste. Installez-le ou démarrez-le, puis réessayez.",
  [ErrorCode.VERSION_MISMATCH]: "L'extension et le logiciel vitale-bridge ne sont pas de versions compatibles : mettez-les à jour.",
  [ErrorCode.ORIGIN_REFUSED]: "L'accès aux cartes a été refusé pour ce site. Autorisez-le dans les options de l'extension vitale-bridge.",
  [ErrorCode.INSECURE_CONTEXT]: "Cette page doit être ouverte en https (ou sur localhost) pour lire les cartes.",
  [ErrorCode.NO_READER]: "Aucun lecteur de cartes n'est branché. Branchez-le et réessayez.",
  [ErrorCode.NO_CARD]: "Aucune carte Vitale dans le lecteur. Insérez la carte du patient et réessayez.",
  [ErrorCode.CARD_REMOVED]: "La carte a été retirée pendant la lecture. Réinsérez-la et réessayez.",
  [ErrorCode.CPS_REQUIRED]: "Les droits AMO ne sont lisibles qu'avec votre carte CPS insérée.",
  [ErrorCode.UNSUPPORTED_CARD]: "Cette carte ne peut pas être lue (carte Vitale 1 ou carte inconnue).",
  [ErrorCode.TIMED_OUT]: "La lecture a pris trop de temps. Réessayez.",
  [ErrorCode.READ_IN_PROGRESS]: "Une lecture est déjà en cours.",
  [ErrorCode.OD_NOT_FOUND]: "Aucun organisme destinataire trouvé pour ces codes.",
  [ErrorCode.FORBIDDEN]: "vitale-bridge refuse l'extension de ce navigateur. Appelez votre support informatique.",
  [ErrorCode.PAIRING_REQUIRED]: "Ce navigateur n'est pas encore appairé avec vitale-bridge : saisissez le code d'appairage dans les options de l'extension.",
  [ErrorCode.UNTRUSTED_HOST]: "Un autre programme occupe le port de vitale-bridge ; rien ne lui a été envoyé. Appelez votre support informatique.",
  [ErrorCode.FRAME_NOT_SUPPORTED]: "La lecture de carte ne fonctionne pas dans un cadre : ouvrez la page dans son propre onglet.",
};

/** Why the AMO rights are absent from a read (availability.reasonCode). */
const AMO_ABSENT = {
  cpsAbsent: "Droits AMO non lus : insérez votre carte CPS pour lire régime, caisse, centre et qualité.",
  protectedByCard: "Droits AMO non lus : la carte Vitale les protège, seul le logiciel de lecture agréé SESAM-Vitale peut les lire. L'identité a été lue.",
  notRequested: "Seule l'identité a été demandée.",
};

let bridge = null;

function showError(err) {
  const box = $("error");
  if (!err) {
    box.hidden = true;
    box.textContent = "";
    delete box.dataset.code;
    return;
  }
  box.hidden = false;
  box.dataset.code = err.code || "UNKNOWN";
  box.textContent = MESSAGES[err.code] || `Erreur : ${err.message || err}`;
}

function setBridgeStatus(state, text) {
  const el = $("bridge-status");
  el.dataset.state = state;
  el.textContent = text;
}

function setCardStatus(state, text) {
  const el = $("card-status");
  el.dataset.card = state;
  el.textContent = text;
}

function frenchDate(birth) {
  if (!birth) return "";
  if (birth.iso) {
    const [y, m, d] = birth.iso.split("-");
    return `${d}/${m}/${y}`;
  }
  return birth.raw; // lunar dates and missing centuries stay exactly as on the card
}

function fill(beneficiary) {
  const f = form.elements;
  f.nom.value = beneficiary.nom || "";
  f.prenom.value = beneficiary.prenom || "";
  f.dateNaissance.value = frenchDate(beneficiary.dateNaissance);
  f.rang.value = beneficiary.rangNaissance == null ? "" : String(beneficiary.rangNaissance); // null: not given by the card
  f.nir.value = beneficiary.nir ? beneficiary.nir.number : "";
  f.cle.value = beneficiary.nir && beneficiary.nir.key ? beneficiary.nir.key : "";
  f.qualite.value = beneficiary.amo ? beneficiary.amo.qualiteLibelle || beneficiary.amo.qualite : "";
}

function fillAmo(read) {
  const f = form.elements;
  const amo = read.amo || {};
  f.regime.value = amo.regime || "";
  f.caisse.value = amo.caisse || "";
  f.centre.value = amo.centre || "";
  f.codeGestion.value = amo.codeGestion || "";
  showOd(read.organismeDestinataire, read.odStatus);
}

function showOd(od, status) {
  const box = $("od");
  box.dataset.status = status || "";
  if (od) {
    const place = [od.codePostal, od.commune].filter(Boolean).join(" ");
    box.textContent = `${od.libelle} — OD ${od.od}, centre informatique ${od.codeCentreInformatique}${place ? ` — ${place}` : ""} (table ${od.tableVersion})`;
  } else if (status === "notFound") {
    box.textContent = "Organisme destinataire introuvable dans la table TOD.";
  } else {
    box.textContent = "— (lisible avec les droits AMO, carte CPS insérée)";
  }
}

function showBeneficiaries(read) {
  const list = $("beneficiary-list");
  list.replaceChildren();
  read.beneficiaries.forEach((b, i) => {
    const label = document.createElement("label");
    label.className = "benef";
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "beneficiary";
    radio.value = String(i);
    radio.dataset.testid = "beneficiary";
    radio.checked = i === 0;
    radio.addEventListener("change", () => fill(b));
    const text = document.createElement("span");
    text.textContent = `${b.prenom} ${b.nom} — ${frenchDate(b.dateNaissance)}`;
    label.append(radio, text);
    list.append(label);
  });
  $("beneficiaries").hidden = false;
  $("beneficiaries").disabled = false;
  const availability = $("availability");
  const why = read.availability ? AMO_ABSENT[read.availability.reasonCode] || read.availability.reason : "";
  availability.hidden = !why;
  availability.textContent = why || "";
}

async function readCard() {
  showError(null);
  $("read").disabled = true;
  $("read").textContent = "Lecture…";
  try {
    const read = await bridge.readVitale({ scope: "auto", resolveOd: true });
    showBeneficiaries(read);
    if (read.beneficiaries.length) fill(read.beneficiaries[0]);
    fillAmo(read);
    setCardStatus("present", `Carte Vitale lue (${read.beneficiaries.length} bénéficiaire${read.beneficiaries.length > 1 ? "s" : ""})`);
    document.body.dataset.read = "done";
  } catch (err) {
    showError(err);
    document.body.dataset.read = "error";
  } finally {
    $("read").disabled = false;
    $("read").textContent = "Lire la carte Vitale";
  }
}

async function searchOd() {
  showError(null);
  const results = $("od-results");
  results.replaceChildren();
  try {
    const found = await bridge.searchOd($("od-query").value, { limit: 8 });
    for (const hit of found.results) {
      const li = document.createElement("li");
      const od = hit.organisme;
      li.textContent = `${od.regime}/${od.caisse}/${od.centre} ${od.libelle} → OD ${od.od}`;
      results.append(li);
    }
  } catch (err) {
    showError(err);
  }
}

function onCardInserted(event) {
  if (event.cardType && event.cardType.startsWith("cps")) {
    setCardStatus("present", "Carte CPS insérée : les droits AMO sont lisibles.");
    return;
  }
  setCardStatus("present", "Carte Vitale insérée.");
  if ($("auto-read").checked) readCard();
}

function onCardRemoved(event) {
  if (event.cardType && event.cardType.startsWith("cps")) {
    setCardStatus("removed", "Carte CPS retirée.");
    return;
  }
  // The form keeps what was read; the choice of beneficiary needs the card again.
  setCardStatus("removed", "Carte Vitale retirée.");
  $("beneficiaries").disabled = true;
  document.body.dataset.card = "removed";
}

async function main() {
  try {
    bridge = await VitaleBridge.connect();
  } catch (err) {
    setBridgeStatus("error", "vitale-bridge indisponible");
    showError(err);
    document.body.dataset.ready = "error";
    return;
  }
  const host = bridge.host.host;
  setBridgeStatus("ready", `vitale-bridge ${host ? host.version : ""} prêt (extension ${bridge.extension.version})`);
  bridge.on("card.inserted", onCardInserted);
  bridge.on("card.removed", onCardRemoved);
  try {
    await bridge.eventsReady();
  } catch (err) {
    showError(err);
  }
  $("read").disabled = false;
  $("od-search").disabled = false;
  $("read").addEventListener("click", readCard);
  $("od-search").addEventListener("click", searchOd);
  document.body.dataset.ready = "true";
  try {
    const { readers } = await bridge.readers();
    const vitale = readers.find((r) => r.cardPresent && String(r.cardType || "").startsWith("vitale"));
    setCardStatus(vitale ? "present" : "absent", vitale ? "Carte Vitale insérée." : "Pas de carte Vitale dans le lecteur.");
  } catch (err) {
    showError(err);
  }
}

main();

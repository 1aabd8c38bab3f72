// The self-check page: blinding and Finalize run here, in the browser (RFC 9497 OPRF, ristretto255-SHA512,
// from @noble/curves served locally). The server receives only the bucket and the blinded element.
import { ristretto255_oprf } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { lookupInput, ValidationError } from "./normalise.js";

const TEXT = {
  fr: {
    title: "Suis-je concerné par la fuite ?",
    lead: "Vérifiez si vos données figurent dans la fuite. Ce que vous tapez ne quitte pas votre navigateur : il est chiffré à l'aveugle avant d'être envoyé, et le serveur ne peut pas le lire.",
    "kind-legend": "Je vérifie",
    "kind-email": "mon adresse e-mail",
    "kind-phone": "mon numéro de téléphone",
    "kind-nir": "mon numéro de sécurité sociale",
    "value-email": "Adresse e-mail",
    "value-phone": "Numéro de téléphone",
    "value-nir": "Numéro de sécurité sociale (15 chiffres, clé comprise)",
    "birth-date": "Date de naissance",
    "why-birth-date": "La date de naissance est demandée pour que connaître votre e-mail ne suffise pas à savoir si vous êtes concerné.",
    submit: "Vérifier",
    exposed: "Données exposées dans cette fuite",
    advice: "Que faire",
    contacts: "Qui contacter",
    how: "Comment ça marche ?",
    "how-text": "Votre navigateur transforme ce que vous tapez avec une fonction pseudo-aléatoire oblivieuse (OPRF, RFC 9497) : le serveur applique sa clé secrète sans voir la valeur, puis renvoie une liste de centaines d'empreintes. Votre navigateur vérifie seul si la sienne y figure.",
    switch: "English",
    working: "Vérification en cours…",
    member: "Vous êtes concerné",
    "member-text": "Cet identifiant, associé à cette date de naissance, figure dans les données divulguées.",
    "not-member": "Non trouvé",
    "not-member-text": "Cet identifiant, associé à cette date de naissance, ne figure pas dans les données divulguées. Vérifiez aussi vos autres adresses et numéros.",
    "err-email": "Cette adresse e-mail n'est pas valide.",
    "err-phone": "Ce numéro de téléphone n'est pas valide (10 chiffres, ou format international +…).",
    "err-nir": "Ce numéro de sécurité sociale n'est pas valide.",
    "err-nir-length": "Un numéro de sécurité sociale compte 15 caractères (13 + une clé de 2 chiffres).",
    "err-nir-key": "La clé (2 derniers chiffres) ne correspond pas : vérifiez le numéro.",
    "err-birth-date": "La date de naissance n'est pas valide.",
    "err-server": "Le service ne répond pas correctement. Réessayez plus tard.",
    "err-rate": "Trop de vérifications depuis votre connexion. Réessayez dans une minute.",
    "err-format": "Valeur non valide.",
    "err-kind": "Type de vérification inconnu.",
  },
  en: {
    title: "Am I affected by the leak?",
    lead: "Check whether your data is in the leak. What you type does not leave your browser: it is blinded before being sent, and the server cannot read it.",
    "kind-legend": "I am checking",
    "kind-email": "my email address",
    "kind-phone": "my phone number",
    "kind-nir": "my social security number",
    "value-email": "Email address",
    "value-phone": "Phone number",
    "value-nir": "Social security number (15 digits, key included)",
    "birth-date": "Date of birth",
    "why-birth-date": "Your date of birth is asked so that knowing your email is not enough to learn whether you are affected.",
    submit: "Check",
    exposed: "Data exposed in this leak",
    advice: "What to do",
    contacts: "Whom to contact",
    how: "How does it work?",
    "how-text": "Your browser transforms what you type with an oblivious pseudorandom function (OPRF, RFC 9497): the server applies its secret key without seeing the value, then returns a list of hundreds of fingerprints. Your browser alone checks whether its own is among them.",
    switch: "Français",
    working: "Checking…",
    member: "You are affected",
    "member-text": "This identifier, with this date of birth, is in the leaked data.",
    "not-member": "Not found",
    "not-member-text": "This identifier, with this date of birth, is not in the leaked data. Check your other addresses and numbers too.",
    "err-email": "This email address is not valid.",
    "err-phone": "This phone number is not valid (10 digits, or international format +…).",
    "err-nir": "This social security number is not valid.",
    "err-nir-length": "A social security number has 15 characters (13 + a 2-digit key).",
    "err-nir-key": "The key (last 2 digits) does not match: check the number.",
    "err-birth-date": "The date of birth is not valid.",
    "err-server": "The service is not answering properly. Try again later.",
    "err-rate": "Too many checks from your connection. Try again in a minute.",
    "err-format": "Invalid value.",
    "err-kind": "Unknown kind of check.",
  },
};

const state = { lang: "fr", config: null, guidance: null, answer: null };
const $ = (id) => document.getElementById(id);

function t(key) {
  return TEXT[state.lang][key] ?? key;
}

function selectedKind() {
  return document.querySelector('input[name="kind"]:checked').value;
}

function render() {
  document.documentElement.lang = state.lang;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("value-label").textContent = t(`value-${selectedKind()}`);
  $("lang-switch").textContent = t("switch");
  $("lang-switch").lang = state.lang === "fr" ? "en" : "fr";
  if (state.answer !== null) renderAnswer();
}

function fillList(list, items) {
  list.replaceChildren(...items.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

function renderAnswer() {
  const member = state.answer;
  $("result").hidden = false;
  $("result").className = member ? "member" : "not-member";
  $("result").dataset.member = String(member);
  $("result-title").textContent = t(member ? "member" : "not-member");
  $("result-text").textContent = t(member ? "member-text" : "not-member-text");
  const g = state.guidance;
  $("guidance").hidden = !(member && g);
  if (!member || !g) return;
  fillList($("categories"), [...(g.categories ?? []), ...(g.conditions ?? [])].map((c) => c[state.lang]));
  fillList($("advice"), (g.advice ?? []).map((a) => a[state.lang]));
  fillList($("contacts"), (g.contacts ?? []).map((c) =>
    `${c.role[state.lang]} : ${["name", "address", "email", "phone", "website"].filter((k) => c[k]).map((k) => c[k]).join(", ")}`));
}

function setStatus(key, error = false) {
  $("status").textContent = key ? t(key) : "";
  $("status").className = error ? "error" : "";
}

async function getJSON(url) {
  const response = await fetch(url, { credentials: "omit", cache: "no-store" });
  if (!response.ok) throw new Error("server");
  return response.json();
}

export async function lookup(input) {
  const config = state.config ?? (state.config = await getJSON("/api/v1/lookup/config"));
  const data = utf8ToBytes(input);
  const bucket = bytesToHex(sha256(data)).slice(0, config.bucket_bits / 4);
  const { blind, blinded } = ristretto255_oprf.oprf.blind(data);
  const response = await fetch("/api/v1/lookup", {
    method: "POST",
    credentials: "omit",
    cache: "no-store",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ bucket, blinded_element: bytesToHex(blinded) }),
  });
  if (response.status === 429) throw new Error("rate");
  if (!response.ok) throw new Error("server");
  const body = await response.json();
  const output = ristretto255_oprf.oprf.finalize(data, blind, hexToBytes(body.evaluated_element));
  const prefix = bytesToHex(output.slice(0, config.entry_bytes));
  return body.entries.includes(prefix);
}

async function onSubmit(event) {
  event.preventDefault();
  state.answer = null;
  $("result").hidden = true;
  let input;
  try {
    input = lookupInput(selectedKind(), $("value").value, $("birth-date").value);
  } catch (err) {
    if (err instanceof ValidationError) return setStatus(`err-${err.code}`, true);
    throw err;
  }
  $("submit").disabled = true;
  setStatus("working");
  try {
    const member = await lookup(input);
    if (member && !state.guidance) state.guidance = await getJSON("/api/v1/lookup/guidance");
    state.answer = member;
    setStatus("");
    renderAnswer();
  } catch (err) {
    setStatus(err.message === "rate" ? "err-rate" : "err-server", true);
  } finally {
    $("submit").disabled = false;
  }
}

function init() {
  const wanted = new URLSearchParams(location.search).get("lang");
  if (wanted === "en" || wanted === "fr") state.lang = wanted;
  $("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "fr" ? "en" : "fr";
    render();
  });
  for (const radio of document.querySelectorAll('input[name="kind"]')) {
    radio.addEventListener("change", () => {
      $("value").type = selectedKind() === "email" ? "email" : selectedKind() === "phone" ? "tel" : "text";
      render();
    });
  }
  $("check-form").addEventListener("submit", onSubmit);
  render();
  $("submit").disabled = false;
  document.body.dataset.ready = "true";
}

init();

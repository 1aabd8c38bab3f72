// The self-check page: blinding, Finalize and opening the sealed answer run here, in the browser (RFC 9497
// OPRF, ristretto255-SHA512, from @noble/curves; HKDF-SHA512 from @noble/hashes; XChaCha20-Poly1305 from
// @noble/ciphers; all served locally). The server receives only the bucket and the blinded element.
// Every lookup makes the same two requests, member or not: GET config (the same for everyone) and POST lookup
// (a fixed-size answer). Protocol: docs/lookup-protocol.md.
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ristretto255_oprf } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { lookupInput, ValidationError } from "./normalise.js";

const INFO = utf8ToBytes("fuite lookup exposure v1");
const FLAG_SHARED = 1;
const FLAG_CONDITIONS = 2;
const HEALTH = new Set(["health_note", "medication", "blood_group", "sample_date", "lab_name", "lab_id"]);
const MAX_POW_BITS = 24;

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
    yours: "Vos données exposées",
    "breach-wide": "Données exposées dans l'ensemble de la fuite (pas forcément les vôtres)",
    advice: "Que faire",
    contacts: "Qui contacter",
    "held-by": "Vos données étaient détenues par",
    controllers: "Les responsables du traitement concernés par cette fuite",
    colon: " : ",
    how: "Comment ça marche ?",
    "how-text": "Votre navigateur transforme ce que vous tapez avec une fonction pseudo-aléatoire oblivieuse (OPRF, RFC 9497) : le serveur applique sa clé secrète sans voir la valeur, puis renvoie les empreintes de centaines d'identifiants, chacune avec une réponse chiffrée. Votre navigateur vérifie seul si la sienne y figure, et lui seul peut ouvrir la réponse qui vous concerne.",
    switch: "English",
    working: "Vérification en cours…",
    "working-pow": "Le service est très sollicité : votre navigateur fait un petit calcul avant de demander (quelques secondes au plus)…",
    member: "Vous êtes concerné",
    "member-text": "Cet identifiant, associé à cette date de naissance, figure dans les données divulguées.",
    "no-conditions": "Le responsable du traitement ne communique pas ici les pathologies : demandez-lui le détail des informations de santé vous concernant.",
    shared: "Cet identifiant, avec cette date de naissance, correspond à plusieurs personnes dans la fuite : la liste réunit leurs données, sans les pathologies qui ne leur sont pas communes. Pour le détail, contactez le responsable du traitement.",
    "not-member": "Non trouvé",
    "not-member-text": "Cet identifiant, associé à cette date de naissance, ne figure pas dans les données de la fuite que nous avons analysées. Ce n'est pas une preuve que vous n'êtes pas concerné : vos données peuvent y figurer sous une autre adresse ou un autre numéro, ou sans date de naissance (cette vérification ne peut alors pas vous trouver). Vérifiez vos autres adresses et numéros, ou posez la question au responsable du traitement (ci-dessous).",
    "err-email": "Cette adresse e-mail n'est pas valide.",
    "err-phone": "Ce numéro de téléphone n'est pas valide (10 chiffres, ou format international +…).",
    "err-nir": "Ce numéro de sécurité sociale n'est pas valide.",
    "err-nir-length": "Un numéro de sécurité sociale compte 15 caractères (13 + une clé de 2 chiffres).",
    "err-nir-key": "La clé (2 derniers chiffres) ne correspond pas : vérifiez le numéro.",
    "err-birth-date": "La date de naissance n'est pas valide.",
    "err-server": "Le service ne répond pas correctement. Réessayez plus tard.",
    "err-rate": "Trop de vérifications en ce moment. Réessayez dans quelques minutes.",
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
    "why-birth-date": "Your date of birth is asked for so that knowing your email is not enough to learn whether you are affected.",
    submit: "Check",
    yours: "Your data that was exposed",
    "breach-wide": "Data exposed across the whole leak (not necessarily yours)",
    advice: "What to do",
    contacts: "Whom to contact",
    "held-by": "Your data was held by",
    controllers: "The data controllers concerned by this breach",
    colon: ": ",
    how: "How does it work?",
    "how-text": "Your browser transforms what you type with an oblivious pseudorandom function (OPRF, RFC 9497): the server applies its secret key without seeing the value, then returns the fingerprints of hundreds of identifiers, each with an encrypted answer. Your browser alone checks whether its own is among them, and only it can open the answer about you.",
    switch: "Français",
    working: "Checking…",
    "working-pow": "The service is very busy: your browser does a small computation before asking (a few seconds at most)…",
    member: "You are affected",
    "member-text": "This identifier, with this date of birth, is in the leaked data.",
    "no-conditions": "The data controller does not list medical conditions here: ask them for the details of the health information about you.",
    shared: "This identifier, with this date of birth, matches several persons in the leak: the list combines their data, without the conditions they do not all share. For the details, contact the data controller.",
    "not-member": "Not found",
    "not-member-text": "This identifier, with this date of birth, is not in the leaked data we analysed. This is no proof that you are not affected: your data may be there under another address or number, or without a date of birth (this check cannot find you then). Check your other addresses and numbers, or ask the data controller (below).",
    "err-email": "This email address is not valid.",
    "err-phone": "This phone number is not valid (10 digits, or international format +…).",
    "err-nir": "This social security number is not valid.",
    "err-nir-length": "A social security number has 15 characters (13 + a 2-digit key).",
    "err-nir-key": "The key (last 2 digits) does not match: check the number.",
    "err-birth-date": "The date of birth is not valid.",
    "err-server": "The service is not answering properly. Try again later.",
    "err-rate": "Too many checks right now. Try again in a few minutes.",
    "err-format": "Invalid value.",
    "err-kind": "Unknown kind of check.",
  },
};

const state = { lang: "fr", answer: null };
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
  const { member, exposed, flags, guidance } = state.answer;
  const lang = state.lang;
  $("result").hidden = false;
  $("result").className = member ? "member" : "not-member";
  $("result").dataset.member = String(member);
  $("result-title").textContent = t(member ? "member" : "not-member");
  $("result-text").textContent = t(member ? "member-text" : "not-member-text");
  $("personal").hidden = !member;
  const own = exposed.filter((c) => !c.controller);
  fillList($("exposed"), own.map((c) => c[lang]));
  const ids = new Set(own.map((c) => c.id));
  const notes = [];
  if (member && !(flags & FLAG_CONDITIONS) && [...ids].some((id) => HEALTH.has(id))) notes.push(t("no-conditions"));
  if (member && flags & FLAG_SHARED) notes.push(t("shared"));
  fillList($("personal-notes"), notes);
  const advice = (guidance.advice ?? []).filter((a) => !a.when?.length || a.when.some((id) => ids.has(id)));
  fillList($("advice"), advice.map((a) => a[lang]));
  fillList($("contacts"), (guidance.contacts ?? []).map(contactText));
  fillList($("categories"), [...(guidance.categories ?? []), ...(guidance.conditions ?? [])].map((c) => c[lang]));
  renderControllers(exposed, guidance);
}

// A case of several controllers: the ones holding this person's records (their codes in the sealed answer),
// or every one when the answer does not say.
function renderControllers(exposed, guidance) {
  const all = guidance.controllers ?? [];
  const holding = new Set(exposed.filter((c) => c.controller).map((c) => c.id));
  const held = all.filter((c) => holding.has("controller:" + c.id));
  const shown = held.length ? held : all;
  $("controllers-part").hidden = shown.length === 0;
  $("controllers-title").textContent = t(held.length ? "held-by" : "controllers");
  fillList($("controllers"), shown.map((c) => c.name + " — " + (c.contacts ?? []).map(contactText).join(" ; ")));
}

// One contact as a line: its role, then the fields it states.
function contactText(c) {
  const fields = ["name", "address", "email", "phone", "website"].filter((k) => c[k]).map((k) => c[k]);
  return c.role[state.lang] + t("colon") + fields.join(", ");
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

function leadingZeroBits(bytes) {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) { bits += 8; continue; }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

// SHA-256(SHA-256(challenge ‖ bucket ‖ blinded) ‖ nonce) with `difficulty` leading zero bits; yields to the
// page every 20,000 tries so that it stays responsive.
export async function solvePow(challenge, bucket, blinded, difficulty) {
  const digest = sha256(new Uint8Array([...utf8ToBytes(challenge + bucket.toLowerCase()), ...blinded]));
  const buffer = new Uint8Array(40);
  buffer.set(digest);
  const view = new DataView(buffer.buffer);
  for (let counter = 0; ; counter++) {
    view.setUint32(32, Math.floor(counter / 2 ** 32));
    view.setUint32(36, counter >>> 0);
    if (leadingZeroBits(sha256(buffer)) >= difficulty) return bytesToHex(buffer.slice(32));
    if (counter % 20000 === 19999) await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

async function post(bucket, blinded, pow) {
  const request = { bucket, blinded_element: bytesToHex(blinded) };
  for (let round = 0; round < 3; round++) {
    if (pow?.difficulty > MAX_POW_BITS) break;
    if (pow?.difficulty) {
      setStatus("working-pow");
      request.pow = { challenge: pow.challenge, nonce: await solvePow(pow.challenge, bucket, blinded, pow.difficulty) };
    }
    const response = await fetch("/api/v1/lookup", {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
    });
    if (response.ok) return response.json();
    if (response.status !== 429) throw new Error("server");
    pow = (await response.json()).pow;
    if (!pow) break;
  }
  throw new Error("rate");
}

function base64ToBytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function openAnswer(config, output, sealed) {
  const okm = hkdf(sha512, output, hexToBytes(config.exposure.salt), INFO, 56);
  const plain = xchacha20poly1305(okm.slice(0, 32), okm.slice(32, 56), output.slice(0, 16)).decrypt(sealed);
  if (plain.length !== 16 || plain[0] !== 1) throw new Error("server");
  const exposed = config.exposure.codes.filter((_, i) => i < 112 && (plain[2 + (i >> 3)] >> (i & 7)) & 1);
  return { exposed, flags: plain[1] };
}

export async function lookup(input) {
  const config = await getJSON("/api/v1/lookup/config");
  const data = utf8ToBytes(input);
  const identifier = utf8ToBytes(input.slice(0, input.lastIndexOf("|")));
  const bucket = bytesToHex(sha256(identifier)).slice(0, config.bucket_bits / 4);
  const { blind, blinded } = ristretto255_oprf.oprf.blind(data);
  const body = await post(bucket, blinded, config.pow);
  const output = ristretto255_oprf.oprf.finalize(data, blind, hexToBytes(body.evaluated_element));
  const entries = base64ToBytes(body.entries);
  const size = config.entry_bytes;
  if (entries.length !== size * config.entries_per_bucket) throw new Error("server");
  const tag = bytesToHex(output.slice(0, config.tag_bytes));
  let answer = { member: false, exposed: [], flags: 0, guidance: config.guidance };
  for (let i = 0; i < entries.length; i += size) {
    if (bytesToHex(entries.subarray(i, i + config.tag_bytes)) === tag) {
      answer = { member: true, ...openAnswer(config, output, entries.slice(i + config.tag_bytes, i + size)), guidance: config.guidance };
    }
  }
  return answer;
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
    state.answer = await lookup(input);
    setStatus("");
    renderAnswer();
  } catch (err) {
    setStatus(err.message === "rate" ? "err-rate" : "err-server", true);
  } finally {
    $("submit").disabled = false;
    document.body.dataset.lookups = String(Number(document.body.dataset.lookups ?? 0) + 1);
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

// Normalisation of what a person types, identical to the rules of fuite/ids (email_address, phone, nir,
// birth_date) that fuite/lookup/normalise.py applies (a test runs both).
// Input string of the self-check: `${kind}:${value}|${birthDate}`.

export const KINDS = ["email", "phone", "nir"];

const TRIM = " \t\n\r\f\v\u00a0\u2009\u202f\ufeff";
const SEPARATORS = /[ \t\u00a0\u2009\u202f.\-/()]/g;
const DIGITS = /^[0-9]+$/;
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-]+";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?";
const EMAIL = new RegExp(`^${ATOM}(?:\\.${ATOM})*@(?:${LABEL}\\.)+[A-Za-z]{2,24}$`);
const NIR = /^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/;
const ISO = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const FRENCH = /^([0-9]{2})\/([0-9]{2})\/([0-9]{4})$/;

export class ValidationError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

function trim(value) {
  if (typeof value !== "string") throw new ValidationError("format");
  let start = 0;
  let end = value.length;
  while (start < end && TRIM.includes(value[start])) start++;
  while (end > start && TRIM.includes(value[end - 1])) end--;
  return value.slice(start, end);
}

export function email(value) {
  value = trim(value).toLowerCase();
  if ([...value].length > 254 || !EMAIL.test(value)) throw new ValidationError("email");
  return value;
}

export function phone(value) {
  value = trim(value).split("(0)").join("").replace(SEPARATORS, "");
  if (value.startsWith("00")) value = "+" + value.slice(2);
  if (value.startsWith("+")) {
    let digits = value.slice(1);
    if (digits.startsWith("330") && digits.length === 12) digits = "33" + digits.slice(3);
    if (!DIGITS.test(digits) || digits.length < 8 || digits.length > 15 || digits[0] === "0" ||
        (digits.startsWith("33") && digits.length !== 11)) {
      throw new ValidationError("phone");
    }
    return "+" + digits;
  }
  if (!DIGITS.test(value)) throw new ValidationError("phone");
  if (value.length === 10 && value[0] === "0" && value[1] !== "0") return "+33" + value.slice(1);
  if (value.length === 9 && value[0] !== "0") return "+33" + value;
  if (value.length === 11 && value.startsWith("33") && value[2] !== "0") return "+" + value;
  throw new ValidationError("phone");
}

export function nir(value) {
  value = trim(value).replace(SEPARATORS, "").toUpperCase();
  if (value.length !== 15) throw new ValidationError("nir-length");
  if (!NIR.test(value)) throw new ValidationError("nir");
  let body = value.slice(0, 13);
  const dept = value.slice(5, 7);
  if (dept === "2A" || dept === "2B") body = body.replace("2A", "19").replace("2B", "18");
  if (97n - (BigInt(body) % 97n) !== BigInt(value.slice(13))) throw new ValidationError("nir-key");
  return value;
}

export function birthDate(value) {
  value = trim(value);
  let year, month, day;
  const iso = ISO.exec(value);
  const french = FRENCH.exec(value);
  if (iso) [, year, month, day] = iso;
  else if (french) [, day, month, year] = french;
  else throw new ValidationError("birth-date");
  const y = Number(year), m = Number(month), d = Number(day);
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  if (m < 1 || m > 12 || d < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new ValidationError("birth-date");
  }
  if (y < 1880 || y === 0) throw new ValidationError("birth-date");
  return `${year}-${month}-${day}`;
}

const NORMALISERS = { email, phone, nir };

export function normalise(kind, value) {
  if (!Object.hasOwn(NORMALISERS, kind)) throw new ValidationError("kind");
  return NORMALISERS[kind](value);
}

export function lookupInput(kind, value, birth) {
  return `${kind}:${normalise(kind, value)}|${birthDate(birth)}`;
}

#!/usr/bin/env bash
# Install fuite and everything it needs on a fresh Debian machine: system packages, a virtualenv, the web assets.
set -euo pipefail
cd "$(dirname "$0")"

# --spark: also the optional Spark engine (pyspark, and Java 17 from Debian).
extras=test
spark=0
for arg in "$@"; do
  case "$arg" in
    --spark) spark=1; extras=test,spark ;;
    *) echo "install.sh: unknown option $arg (known: --spark)" >&2; exit 2 ;;
  esac
done

# System packages: libsodium (ristretto255), Pango (WeasyPrint PDFs), poppler (PDF checks), Chromium (page tests),
# PostgreSQL (pg_dump tests), Postfix's smtp-sink (the email benchmark's sink; no mail server is configured).
need=()
dpkg -s libsodium23 >/dev/null 2>&1 || need+=(libsodium23)
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "$spark" = 1 ]; then dpkg -s openjdk-17-jre-headless >/dev/null 2>&1 || need+=(openjdk-17-jre-headless); fi
# PostgreSQL server + pg_dump: the SQL-dump tests make real pg_dump output from a throwaway local server.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/smtp-sink ] || need+=(postfix)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Postfix is wanted for its smtp-sink test server only: "No configuration" sets up and starts no mail server.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "install.sh: please install these Debian packages first: ${need[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[$extras]"

# The self-check page's browser crypto (@noble/curves) comes from npm, never committed.
if [ -f web/package.json ]; then
  (cd web && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi)
  if grep -q '"build"' web/package.json; then (cd web && npm run --silent build); fi
fi
echo "fuite installed: .venv/bin/fuite" >&2

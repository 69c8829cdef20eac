#!/usr/bin/env bash
# System packages holdtrack needs, from Debian's archive. Idempotent: installs only what is missing.
set -euo pipefail
PACKAGES=(
  python3 python3-venv          # interpreter and venv for uv's bootstrap
  postgresql postgresql-contrib # the test database (pg_trgm for later screening work)
  redis-server                  # distributed task queue (RedisHuey)
  make
  fonts-dejavu-core             # the fonts of generated documents (WeasyPrint)
  libharfbuzz-subset0           # WeasyPrint's font subsetter (fontTools fallback is deprecated)
  poppler-utils                 # pdftoppm: PNG renders of documents kept as test artifacts
  gettext                       # compilemessages for document translations (the .mo files are committed)
  chromium fonts-liberation     # browser tests (Playwright drives /usr/bin/chromium; never `playwright install`)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3 may come from pyenv rather than Debian; that is fine.
if command -v python3 >/dev/null 2>&1; then
  missing=("${missing[@]/python3}"); missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "System packages present."
fi

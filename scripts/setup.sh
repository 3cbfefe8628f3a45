#!/usr/bin/env bash
# Idempotent set-up for a Debian machine (make setup): system packages, PostgreSQL + PostGIS, Redis,
# the .venv with pinned requirements, npm assets, and the database. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# ---- system packages -----------------------------------------------------------------------------------
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
[ -n "$(pg_version)" ] || need+=(postgresql)
PGV=$(pg_version); PGV=${PGV:-15}
have_pkg "postgresql-${PGV}-postgis-3" || need+=("postgresql-${PGV}-postgis-3")
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs npm)
command -v wrk >/dev/null || need+=(wrk)  # the HTTP load generator of bench/load.py (make bench)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
# GeoDjango's shared libraries come with postgis (GDAL, GEOS, PROJ). WeasyPrint (quote PDFs) loads Pango and
# HarfBuzz's subsetter and needs a font; a bare Debian image has none of them.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  have_pkg "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# ---- services ------------------------------------------------------------------------------------------
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  say "starting PostgreSQL $(pg_version)"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting Redis"
  mkdir -p /tmp/omni-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/omni-redis \
    --logfile /tmp/omni-redis/redis.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

# ---- database role ---------------------------------------------------------------------------------------
# The default DATABASE_URL connects as postgres over TCP. A stock Debian cluster asks for a password there,
# so on first run we create a superuser role for development (PostGIS needs superuser to create the
# extension in test databases) and record it in .env.
if [ -z "${DATABASE_URL:-}" ] && ! grep -qs '^DATABASE_URL=' .env; then
  if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    say "creating the development database role 'omni'"
    $SUDO runuser -u postgres -- psql -p "$PGPORT" -qc \
      "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='omni') THEN
         CREATE ROLE omni SUPERUSER LOGIN PASSWORD 'omni'; END IF; END\$\$;"
    echo "DATABASE_URL=postgis://omni:omni@${PGHOST}:${PGPORT}/omni" >> .env
  fi
fi

# ---- Python --------------------------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q -U pip
fi
stamp=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.requirements 2>/dev/null)" != "$stamp" ]; then
  say "installing Python requirements"
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$stamp" > .venv/.requirements
fi

# ---- front-end assets (Tailwind, htmx, Alpine, Leaflet, axe-core; nothing from a CDN) -------------------
stamp=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat node_modules/.omni-stamp 2>/dev/null)" != "$stamp" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$stamp" > node_modules/.omni-stamp
fi
say "building CSS and vendoring JS"
npm run --silent build

# ---- database ------------------------------------------------------------------------------------------
.venv/bin/python scripts/createdb.py
say "setup done"

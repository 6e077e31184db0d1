#!/usr/bin/env bash
# Installs the real parts the tests drive, when they are missing: Chromium (the UI's browser tests,
# through playwright-core; CHROMIUM_PATH points at another one), redis-server (the BullMQ
# executor's tests and the demo's DEMO_WORKERS mode start their own on a free port) and PostgreSQL
# (tests start a cluster of their own with initdb and pg_ctl from /usr/lib/postgresql/*/bin,
# @hamilton-ts/testing's startPostgres; PG_BIN_DIR points at another one). Uses apt-get
# (Debian, Ubuntu), with sudo when not root; elsewhere, install them with your package manager.
set -euo pipefail

missing=()
# Where the browser tests launch it: CHROMIUM_PATH, or Debian's /usr/bin/chromium.
if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "system-deps: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: point it at a Chromium, or unset it to install Debian's." >&2
    exit 1
  fi
elif [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ -z "${PG_BIN_DIR:-}" ] &&
  ! { compgen -G "/usr/lib/postgresql/*/bin/initdb" && compgen -G "/usr/lib/postgresql/*/bin/pg_ctl"; } >/dev/null; then
  missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]}, and there is no apt-get here: install them with your package manager (or set CHROMIUM_PATH to a Chromium, PG_BIN_DIR to the folder of initdb and pg_ctl)." >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system-deps: installing ${missing[*]} with apt-get"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"

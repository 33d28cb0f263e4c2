#!/usr/bin/env bash
# Makes sure Postgres and Redis answer on their local defaults: installs them with apt-get on a
# fresh machine, starts them if they are down. Skipped for a service whose URL points elsewhere.
set -euo pipefail

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

is_local() { case "$1" in *127.0.0.1*|*localhost*|"") return 0;; *) return 1;; esac; }

# --- Postgres -------------------------------------------------------------------------------
if is_local "${DATABASE_URL:-}"; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "[services] installing postgresql"; apt_install postgresql
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "[services] starting postgresql"
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    # A fresh install uses peer/md5 auth; these machines use trust on loopback.
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    if [ -f "$hba" ] && ! grep -q "metergate: trust loopback" "$hba"; then
      sed -i '1i # metergate: trust loopback\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

# --- Redis ----------------------------------------------------------------------------------
if is_local "${REDIS_URL:-}"; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "[services] installing redis-server"; apt_install redis-server
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    # The ledger keeps unflushed usage and the cap counters in Redis: persist them with the
    # append-only file, fsynced every second (REDIS_APPENDFSYNC=always|everysec|no; "off" runs
    # without persistence). Only a Redis this script starts is configured; a running one is not touched.
    fsync="${REDIS_APPENDFSYNC:-everysec}"
    data_dir="${REDIS_DATA_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.data/redis}"
    mkdir -p "$data_dir"
    if [ "$fsync" = off ]; then persistence=(--appendonly no); else persistence=(--appendonly yes --appendfsync "$fsync"); fi
    echo "[services] starting redis (appendonly: $fsync, dir: $data_dir)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --dir "$data_dir" "${persistence[@]}"
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
fi

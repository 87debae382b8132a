#!/usr/bin/env bash
# Ensure Redis and PostgreSQL answer on 127.0.0.1: start them when installed but stopped,
# install them from Debian's packages when missing (needs root, as in CI).
set -uo pipefail
have_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_ready=0
apt_install() {
  [ "$apt_ready" = 1 ] || { apt-get update -qq >/dev/null; apt_ready=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! have_port 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

if ! have_port 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  # trust auth on loopback, as on the project's machines
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
  fi
  for _ in $(seq 1 30); do have_port 5432 && break; sleep 1; done
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\" | grep -q 1 || createdb test" || true
fi

for _ in $(seq 1 20); do have_port 6379 && have_port 5432 && break; sleep 1; done
have_port 6379 && echo "redis: up" || { echo "redis: DOWN" >&2; exit 1; }
have_port 5432 && echo "postgresql: up" || { echo "postgresql: DOWN" >&2; exit 1; }

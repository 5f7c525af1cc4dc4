#!/usr/bin/env bash
# Make sure what the tests talk to is up: MariaDB on 127.0.0.1:3306, PostgreSQL on 127.0.0.1:5432 and Redis on
# 127.0.0.1:6379 (the Celery topology test), and Debian's Chromium for the a11y tests.
# S3 (moto) and SMTP (aiosmtpd) are started by the test fixtures themselves on free loopback ports.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

mariadb_up() { mariadb-admin --host=127.0.0.1 --port=3306 --user=root --connect-timeout=2 ping >/dev/null 2>&1; }

if ! mariadb_up; then
  echo "MariaDB is not answering on 127.0.0.1:3306; starting it"
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server
  fi
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do mariadb_up && break; sleep 1; done
  mariadb_up || { echo "MariaDB did not come up on 127.0.0.1:3306" >&2; exit 1; }
fi

postgres_up() { pg_isready --host=127.0.0.1 --port=5432 --timeout=2 >/dev/null 2>&1; }

if ! postgres_up; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do postgres_up && break; sleep 1; done
  postgres_up || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if ! redis_up; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it"
  if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "Redis did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi

if ! command -v chromium >/dev/null; then
  echo "Chromium is missing; installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v chromium >/dev/null || { echo "chromium is not installed and could not be installed" >&2; exit 1; }
echo "services: MariaDB, PostgreSQL and Redis up, $(chromium --version 2>/dev/null | head -1)"

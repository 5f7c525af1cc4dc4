#!/usr/bin/env bash
# Make sure what the tests talk to is up: MariaDB on 127.0.0.1:3306 and Debian's Chromium for the a11y tests.
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

if ! command -v chromium >/dev/null; then
  echo "Chromium is missing; installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v chromium >/dev/null || { echo "chromium is not installed and could not be installed" >&2; exit 1; }
echo "services: MariaDB up, $(chromium --version 2>/dev/null | head -1)"

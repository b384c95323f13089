#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, user postgres, trust) and MariaDB (127.0.0.1:3306, root,
# no password) answer, and that headless Chromium (for the report tests) is installed. Installs
# the Debian packages when they are missing, starts the servers when they are down, and opens
# local TCP access the way the tests expect. Idempotent.
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_up() { psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; }
maria_up() { mariadb -h 127.0.0.1 -P 3306 -uroot -e 'select 1' >/dev/null 2>&1; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for <check-function> <what>
  for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done
  log "$2 did not come up"; return 1
}

start_postgres() {
  pg_up && return 0
  if ! command -v pg_ctlcluster >/dev/null; then log "installing postgresql"; apt_install postgresql; fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -n1)
  local hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! as_root grep -q '^# pytest-mrt' "$hba"; then
    # Test servers only: trust local TCP connections, as the tests' URLs carry no password.
    as_root sed -i '1i # pytest-mrt: trust local test connections\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting postgresql $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  wait_for pg_up postgresql
}

start_mariadb() {
  maria_up && return 0
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    log "installing mariadb-server"; apt_install mariadb-server
  fi
  if ! mariadb-admin ping >/dev/null 2>&1; then
    log "starting mariadb"
    as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 1 60); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  if ! maria_up; then
    # Debian's root logs in through the unix socket only; let it in over TCP without a password.
    as_root mariadb -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
      CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
  fi
  wait_for maria_up mariadb
}

if ! command -v psql >/dev/null; then apt_install postgresql-client; fi
if ! command -v mariadb >/dev/null; then apt_install mariadb-client; fi
if ! command -v chromium >/dev/null; then log "installing chromium (report tests)"; apt_install chromium; fi
start_postgres
start_mariadb
log "postgresql and mariadb are up"

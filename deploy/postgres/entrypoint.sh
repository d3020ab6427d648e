#!/bin/bash
# First start: initdb into $PGDATA with POSTGRES_USER / POSTGRES_PASSWORD[_FILE], create
# POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sh and *.sql against a server that listens
# on its socket only (so a TCP health check does not pass during initialisation), stop it.
# Every start: exec postgres with the given arguments. The official image's semantics.
set -euo pipefail
if [ "${1:-}" != postgres ]; then exec "$@"; fi
shift

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password=${POSTGRES_PASSWORD:-}
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password=$(<"$POSTGRES_PASSWORD_FILE"); fi
  [ -n "$password" ] || { echo "postgres: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2; exit 1; }
  export POSTGRES_USER=${POSTGRES_USER:-postgres}
  export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$password") \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  { echo "listen_addresses = '*'"; echo "unix_socket_directories = '/var/run/postgresql'"; } \
    >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl --silent --wait -o "-c listen_addresses=''" start
  export PGUSER=$POSTGRES_USER PGHOST=/var/run/postgresql
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --quiet --dbname=postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for script in /docker-entrypoint-initdb.d/*; do
    case $script in
      *.sh)  # executable: run it; otherwise source it (as the official image does)
        echo "postgres: running $script"
        if [ -x "$script" ]; then "$script"; else . "$script"; fi ;;
      *.sql) echo "postgres: running $script"; psql -v ON_ERROR_STOP=1 --dbname="$POSTGRES_DB" -f "$script" ;;
    esac
  done
  unset PGUSER PGHOST
  pg_ctl --silent --wait -m fast stop
fi
exec postgres "$@"

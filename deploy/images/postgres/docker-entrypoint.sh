#!/bin/bash
# The public postgres image's start-up, in short: on an empty PGDATA, initdb with
# POSTGRES_USER as the superuser (password POSTGRES_PASSWORD, scram-sha-256 over
# the network), create POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sql|*.sh;
# then run postgres as the postgres user, listening on every address.
set -euo pipefail

if [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo "Database is uninitialized and POSTGRES_PASSWORD is not set (or POSTGRES_HOST_AUTH_METHOD=trust)." >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  password=()
  [ -z "${POSTGRES_PASSWORD:-}" ] || password=(--pwfile="$pwfile")
  initdb --username="$POSTGRES_USER" "${password[@]}" \
    --auth-local=trust --auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
  # Set up over the socket only: nothing reaches it from the network until it is ready.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname postgres)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  for file in /docker-entrypoint-initdb.d/*; do
    case "$file" in
      *.sql) "${psql[@]}" --dbname "$POSTGRES_DB" -f "$file" ;;
      *.sh) . "$file" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo "PostgreSQL init process complete; ready for start up."
fi
exec postgres -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "${@:2}"

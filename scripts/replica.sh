#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL cluster, for tests and the bench.
#   scripts/replica.sh start [PORT]   # prints nothing; the replica listens on 127.0.0.1:PORT (5433)
#   scripts/replica.sh stop [PORT]
# Needs root (it lets the primary accept replication connections from 127.0.0.1 and runs the
# replica as the postgres user). The replica's files live in /tmp/xyd-replica-PORT.
set -euo pipefail
ACTION="${1:?start or stop}"
PORT="${2:-5433}"
VERSION="$(ls /etc/postgresql | sort -V | tail -1)"
BIN="/usr/lib/postgresql/${VERSION}/bin"
HBA="/etc/postgresql/${VERSION}/main/pg_hba.conf"
DIR="/tmp/xyd-replica-${PORT}"
as_postgres() { runuser -u postgres -- "$@"; }

case "$ACTION" in
start)
  if ! grep -qE '^host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust' "$HBA"; then
    echo "host replication all 127.0.0.1/32 trust" >> "$HBA"
    psql -h 127.0.0.1 -U postgres -d postgres -qAtc "SELECT pg_reload_conf()" >/dev/null
  fi
  if [ -f "$DIR/data/postmaster.pid" ]; then "$0" stop "$PORT"; fi
  rm -rf "$DIR" && mkdir -p "$DIR" && chown postgres:postgres "$DIR" && chmod 700 "$DIR"
  as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$DIR/data" -R -X stream -c fast
  cat > "$DIR/data/postgresql.conf" <<CONF
port = ${PORT}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${DIR}'
hot_standby = on
max_connections = 100
CONF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$DIR/data/pg_hba.conf"
  : > "$DIR/data/pg_ident.conf"
  chown postgres:postgres "$DIR/data/postgresql.conf" "$DIR/data/pg_hba.conf" "$DIR/data/pg_ident.conf"
  as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start >/dev/null
  for _ in $(seq 1 60); do
    [ "$(psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAtc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] && exit 0
    sleep 1
  done
  echo "the replica on port $PORT did not come up; see $DIR/log" >&2
  exit 1
  ;;
stop)
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$DIR"
  ;;
*)
  echo "usage: $0 start|stop [PORT]" >&2
  exit 2
  ;;
esac

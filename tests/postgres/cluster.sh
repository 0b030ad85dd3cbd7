#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on a free loopback port, with
# its data in a temporary folder of its own.
#
#   cluster.sh start STATE_DIR   initdb and start; writes STATE_DIR/url
#   cluster.sh stop STATE_DIR    stop the server and delete the data
#   cluster.sh pause STATE_DIR   stop the server, keep the data (an outage)
#   cluster.sh resume STATE_DIR  start it again on the same port
#
# Without PostgreSQL's server binaries, `start` writes STATE_DIR/skipped with
# the reason and succeeds, and the tests that need the cluster report
# themselves as skipped. initdb refuses to run as root, so as root the
# server runs as the postgres user.
set -euo pipefail
action=${1:?start, stop, pause or resume}
state=${2:?state folder}

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)}

as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

server_options() {
  local data=$1 port=$2
  # Durability is not under test here: fsync off keeps the suite fast.
  echo "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off" \
       "-c full_page_writes=off -c max_connections=300"
}

start_server() {
  local data=$1 port=$2
  as_server_user "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 30 \
    -o "$(server_options "$data" "$port")" start >/dev/null
}

case $action in
  start)
    rm -rf "$state"
    mkdir -p "$state"
    if [[ -z $bin || ! -x $bin/initdb ]]; then
      echo "PostgreSQL server binaries not found (install postgresql-15)" >"$state/skipped"
      echo "postgres: server binaries not found; PostgreSQL tests will be reported as skipped"
      exit 0
    fi
    if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
      echo "running as root and there is no postgres user to run the server as" >"$state/skipped"
      echo "postgres: no postgres user; PostgreSQL tests will be reported as skipped"
      exit 0
    fi
    data=$(mktemp -d /tmp/ff-postgres-XXXXXX)
    echo "$data" >"$state/data"
    [[ $(id -u) -eq 0 ]] && chown postgres "$data"
    as_server_user "$bin/initdb" -D "$data/cluster" -U firstfollower --auth=trust -E UTF8 \
      --no-sync >"$state/initdb.log" 2>&1
    for _ in $(seq 1 20); do
      port=$((20000 + RANDOM % 40000))
      if start_server "$data" "$port" 2>/dev/null; then
        echo "$port" >"$state/port"
        echo "postgresql://firstfollower@127.0.0.1:$port/postgres" >"$state/url"
        echo "postgres: started on 127.0.0.1:$port"
        exit 0
      fi
    done
    echo "postgres: could not start the server; see $data/server.log" >&2
    exit 1
    ;;
  pause)
    as_server_user "$bin/pg_ctl" -D "$(cat "$state/data")/cluster" -m fast -w stop >/dev/null
    ;;
  resume)
    start_server "$(cat "$state/data")" "$(cat "$state/port")"
    ;;
  stop)
    if [[ -f $state/data ]]; then
      data=$(cat "$state/data")
      as_server_user "$bin/pg_ctl" -D "$data/cluster" -m immediate -w stop >/dev/null 2>&1 || true
      rm -rf "$data"
    fi
    rm -rf "$state"
    ;;
  *)
    echo "usage: cluster.sh start|stop|pause|resume STATE_DIR" >&2
    exit 2
    ;;
esac

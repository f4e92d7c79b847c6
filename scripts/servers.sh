#!/usr/bin/env bash
# Starts and stops the real servers the tests, benchmarks and demo run against.
#
#   scripts/servers.sh start  [redis[:PORT]] [postgres[:PORT]] ...   (default: redis postgres)
#   scripts/servers.sh stop   [redis[:PORT]] [postgres[:PORT]] ...
#   scripts/servers.sh status [redis[:PORT]] [postgres[:PORT]] ...
#
# redis-cluster[:PORT] (default 6430) is a Redis Cluster of three masters on PORT, PORT+1, PORT+2.
# zookeeper[:PORT] (default 2190), zookeeper-ensemble[:PORT] (default 2200), etcd[:PORT] (default
# 2390) and etcd-cluster[:PORT] (default 2400): see scripts/servers-zookeeper.sh and servers-etcd.sh.
#
# Every server listens on 127.0.0.1 only, on a non-default port, with its data in a temp dir
# ($LOCKER_SERVERS_DIR, default /tmp/nestjs-locker-servers) and its PID recorded there. Starting a
# running server and stopping a stopped one are no-ops. `start` prints "started NAME:PORT" for each
# server it started, so a caller can stop exactly those. Missing server packages are installed with
# apt-get when we are root. LOCKER_PG_FSYNC=on starts postgres with fsync on (default off).
set -euo pipefail

STATE_DIR=${LOCKER_SERVERS_DIR:-/tmp/nestjs-locker-servers}
# LOCKER_PORT_OFFSET moves every default port (here and in the tests) by the same amount.
OFFSET=${LOCKER_PORT_OFFSET:-0}
REDIS_PORT=${LOCKER_REDIS_PORT:-$((6390 + OFFSET))}
PG_PORT=${LOCKER_PG_PORT:-$((5440 + OFFSET))}
CLUSTER_PORT=${LOCKER_CLUSTER_PORT:-$((6430 + OFFSET))}
ZK_PORT=${LOCKER_ZK_PORT:-$((2190 + OFFSET))}
ZK_ENSEMBLE_PORT=${LOCKER_ZK_ENSEMBLE_PORT:-$((2200 + OFFSET))}
ETCD_PORT=${LOCKER_ETCD_PORT:-$((2390 + OFFSET))}
ETCD_CLUSTER_PORT=${LOCKER_ETCD_CLUSTER_PORT:-$((2400 + OFFSET))}

log() { echo "servers: $*" >&2; }
die() { log "$*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() { bash "$(dirname "$0")/apt-install.sh" "$@"; }

# Alive: the process exists and is not a zombie (a killed server stays one until PID 1 reaps it).
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null &&
    ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# ---------- redis ----------
redis_pidfile() { echo "$STATE_DIR/redis-$1.pid"; }

redis_running() {
  local pid
  pid=$(cat "$(redis_pidfile "$1")" 2>/dev/null || true)
  pid_alive "$pid" && redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1
}

start_redis() {
  local port=$1
  command -v redis-server >/dev/null || apt_install redis-server
  if redis_running "$port"; then return 0; fi
  mkdir -p "$STATE_DIR/redis-$port"
  # --save '' and no AOF: a kill -9 really loses the data (the chaos suite relies on that).
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$(redis_pidfile "$port")" \
    --dir "$STATE_DIR/redis-$port" --logfile "$STATE_DIR/redis-$port.log" \
    --enable-debug-command local ${LOCKER_REDIS_ARGS:-}
  for _ in $(seq 1 100); do
    redis_running "$port" && { echo "started redis:$port"; return 0; }
    sleep 0.05
  done
  die "redis-server on port $port did not start; see $STATE_DIR/redis-$port.log"
}

stop_redis() {
  local port=$1 pid
  pid=$(cat "$(redis_pidfile "$port")" 2>/dev/null || true)
  if pid_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.05; done
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    echo "stopped redis:$port"
  fi
  rm -f "$(redis_pidfile "$port")"
}

status_redis() {
  if redis_running "$1"; then echo "redis:$1 running"; else echo "redis:$1 stopped"; fi
}

# ---------- redis cluster: three masters on PORT, PORT+1, PORT+2, no replicas ----------
CLUSTER_ARGS="--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000"

cluster_ports() { echo "$1" $(($1 + 1)) $(($1 + 2)); }

redis_cluster_ok() {
  local p
  for p in $(cluster_ports "$1"); do
    redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

start_redis_cluster() {
  local port=$1 p
  command -v redis-server >/dev/null || apt_install redis-server
  redis_cluster_ok "$port" && return 0
  # Partly running or stale: start over from empty nodes.
  for p in $(cluster_ports "$port"); do
    stop_redis "$p" >/dev/null
    rm -f "$STATE_DIR/redis-$p/nodes.conf"
    LOCKER_REDIS_ARGS="$CLUSTER_ARGS" start_redis "$p" >/dev/null
  done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(for p in $(cluster_ports "$port"); do echo "127.0.0.1:$p"; done) \
    --cluster-replicas 0 --cluster-yes >/dev/null 2>&1 ||
    die "redis-cli --cluster create failed for ports $(cluster_ports "$port")"
  for _ in $(seq 1 200); do
    redis_cluster_ok "$port" && { echo "started redis-cluster:$port"; return 0; }
    sleep 0.05
  done
  die "the redis cluster on ports $(cluster_ports "$port") did not reach cluster_state:ok"
}

stop_redis_cluster() {
  local port=$1 p stopped=""
  for p in $(cluster_ports "$port"); do
    [ -n "$(stop_redis "$p")" ] && stopped=yes
    rm -f "$STATE_DIR/redis-$p/nodes.conf"
  done
  [ -z "$stopped" ] || echo "stopped redis-cluster:$port"
}

status_redis_cluster() {
  if redis_cluster_ok "$1"; then echo "redis-cluster:$1 running"; else echo "redis-cluster:$1 stopped"; fi
}

# ---------- postgres ----------
pg_bindir() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ]; then
    apt_install postgresql
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  fi
  dirname "$initdb"
}

# postgres refuses to run as root: as root, run it as the `postgres` system user.
as_pg_user() {
  if is_root; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_datadir() { echo "$STATE_DIR/pg-$1"; }

pg_running() {
  local bindir=$1 port=$2
  as_pg_user "$bindir/pg_ctl" -D "$(pg_datadir "$port")" status >/dev/null 2>&1 &&
    "$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q
}

start_postgres() {
  local port=$1 bindir data
  bindir=$(pg_bindir)
  data=$(pg_datadir "$port")
  if [ -f "$data/PG_VERSION" ] && pg_running "$bindir" "$port"; then return 0; fi
  mkdir -p "$STATE_DIR"
  chmod 755 "$STATE_DIR"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    is_root && chown postgres "$data"
    as_pg_user "$bindir/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
  fi
  touch "$STATE_DIR/pg-$port.log"
  is_root && chown postgres "$STATE_DIR/pg-$port.log"
  # fsync off by default: test data, not production data; a clean or crashed server keeps it in the
  # page cache. LOCKER_PG_FSYNC=on for the tests that are about durability.
  local fsync=${LOCKER_PG_FSYNC:-off}
  case $fsync in on | off) ;; *) die "LOCKER_PG_FSYNC must be on or off, got '$fsync'" ;; esac
  as_pg_user "$bindir/pg_ctl" -D "$data" -l "$STATE_DIR/pg-$port.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=$fsync -c max_connections=200" \
    start >/dev/null
  head -n 1 "$data/postmaster.pid" >"$STATE_DIR/pg-$port.pid"
  echo "started postgres:$port"
}

stop_postgres() {
  local port=$1 bindir data
  data=$(pg_datadir "$port")
  [ -f "$data/PG_VERSION" ] || return 0
  bindir=$(pg_bindir)
  if as_pg_user "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg_user "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    echo "stopped postgres:$port"
  fi
  rm -f "$STATE_DIR/pg-$port.pid"
}

status_postgres() {
  local bindir
  bindir=$(pg_bindir)
  if [ -f "$(pg_datadir "$1")/PG_VERSION" ] && pg_running "$bindir" "$1"; then
    echo "postgres:$1 running"
  else
    echo "postgres:$1 stopped"
  fi
}

# ---------- zookeeper, etcd ----------
# shellcheck source=scripts/servers-zookeeper.sh
. "$(dirname "$0")/servers-zookeeper.sh"
# shellcheck source=scripts/servers-etcd.sh
. "$(dirname "$0")/servers-etcd.sh"

# ---------- main ----------
action=${1:-}
shift || true
[ $# -gt 0 ] || set -- redis postgres
mkdir -p "$STATE_DIR"

for target in "$@"; do
  name=${target%%:*}
  port=${target#*:}
  case $name in
    redis) [ "$port" != "$target" ] || port=$REDIS_PORT ;;
    redis-cluster) [ "$port" != "$target" ] || port=$CLUSTER_PORT ;;
    postgres) [ "$port" != "$target" ] || port=$PG_PORT ;;
    zookeeper) [ "$port" != "$target" ] || port=$ZK_PORT ;;
    zookeeper-ensemble) [ "$port" != "$target" ] || port=$ZK_ENSEMBLE_PORT ;;
    etcd) [ "$port" != "$target" ] || port=$ETCD_PORT ;;
    etcd-cluster) [ "$port" != "$target" ] || port=$ETCD_CLUSTER_PORT ;;
    zookeeper-member | etcd-member) [ "$port" != "$target" ] || die "$name needs a port" ;;
    *) die "unknown server '$name' (expected redis, redis-cluster, postgres, zookeeper, zookeeper-ensemble, zookeeper-member, etcd, etcd-cluster or etcd-member)" ;;
  esac
  case $action in
    start | stop | status) "${action}_${name//-/_}" "$port" ;;
    *) die "usage: $0 start|stop|status [redis[:PORT]] [redis-cluster[:PORT]] [postgres[:PORT]] [zookeeper[:PORT]] [zookeeper-ensemble[:PORT]] [etcd[:PORT]] [etcd-cluster[:PORT]] ..." ;;
  esac
done

# shellcheck shell=bash
# ZooKeeper for scripts/servers.sh (sourced; uses its helpers and STATE_DIR):
#   zookeeper[:PORT]           one standalone server, client port PORT (default 2190)
#   zookeeper-ensemble[:PORT]  three servers, client ports PORT..PORT+2 (default 2200), quorum
#                              ports PORT+10..+12, election ports PORT+20..+22
#   zookeeper-member:PORT      one member of such an ensemble (restarted on its data after a kill)
# Debian's `zookeeper` package (3.8, Java); admin server off, clientPortAddress=127.0.0.1, short
# ticks so that tests may ask for session timeouts from 400 ms up to 60 s. forceSync=no, like the
# test postgres's fsync=off: test data only.

ZK_JAR=/usr/share/java/zookeeper.jar

zk_need() {
  [ -f "$ZK_JAR" ] || apt_install zookeeper
  command -v java >/dev/null || apt_install default-jre-headless
}

zk_dir() { echo "$STATE_DIR/zk-$1"; }
zk_pidfile() { echo "$STATE_DIR/zk-$1.pid"; }

# A four-letter word to the server on port $1 (whitelisted in zoo.cfg).
zk_4lw() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf '%s' '$2' >&3 && cat <&3" 2>/dev/null
}

# Serving: standalone, leader or follower (an ensemble member without a quorum answers otherwise).
zk_serving() { zk_4lw "$1" srvr | grep -qE '^Mode: (standalone|leader|follower)'; }

# Writes zoo.cfg for the server with client port $1; $2 is the server lines of an ensemble (or '').
zk_config() {
  local port=$1 servers=$2 dir
  dir=$(zk_dir "$port")
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<CFG
tickTime=200
initLimit=50
syncLimit=10
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
minSessionTimeout=400
maxSessionTimeout=60000
maxClientCnxns=0
forceSync=no
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr,cons,dump
autopurge.purgeInterval=1
$servers
CFG
}

# Starts the JVM for the server with client port $1 (its zoo.cfg written), without waiting.
zk_launch() {
  local port=$1 dir
  dir=$(zk_dir "$port")
  (cd "$dir" && exec setsid java -Xms64m -Xmx256m -XX:+UseSerialGC -Dzookeeper.jmx.log4j.disable=true \
    -cp "$ZK_JAR" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
    >"$STATE_DIR/zk-$port.log" 2>&1 </dev/null &
    echo $! >"$(zk_pidfile "$port")")
}

zk_running() {
  pid_alive "$(cat "$(zk_pidfile "$1")" 2>/dev/null || true)" && zk_serving "$1"
}

# Waits until every port in "$@" serves, up to 60 s (a JVM start on a loaded machine is slow).
zk_wait() {
  local port ok
  for _ in $(seq 1 600); do
    ok=yes
    for port in "$@"; do zk_serving "$port" || { ok=""; break; }; done
    [ -n "$ok" ] && return 0
    sleep 0.1
  done
  return 1
}

start_zookeeper() {
  local port=$1
  zk_need
  zk_running "$port" && return 0
  stop_zookeeper "$port" >/dev/null
  rm -rf "$(zk_dir "$port")"
  zk_config "$port" ""
  zk_launch "$port"
  zk_wait "$port" || die "zookeeper on port $port did not start; see $STATE_DIR/zk-$port.log"
  echo "started zookeeper:$port"
}

stop_zookeeper() {
  local port=$1 pid
  pid=$(cat "$(zk_pidfile "$port")" 2>/dev/null || true)
  if pid_alive "$pid"; then
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.05; done
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    echo "stopped zookeeper:$port"
  fi
  rm -f "$(zk_pidfile "$port")"
}

status_zookeeper() {
  if zk_running "$1"; then echo "zookeeper:$1 running"; else echo "zookeeper:$1 stopped"; fi
}

zk_ensemble_ports() { echo "$1" $(($1 + 1)) $(($1 + 2)); }

zk_ensemble_servers() {
  local base=$1 i
  for i in 1 2 3; do
    echo "server.$i=127.0.0.1:$((base + 9 + i)):$((base + 19 + i))"
  done
}

start_zookeeper_ensemble() {
  local base=$1 port i=0 servers
  zk_need
  local all_up=yes
  for port in $(zk_ensemble_ports "$base"); do zk_running "$port" || all_up=""; done
  [ -n "$all_up" ] && return 0
  servers=$(zk_ensemble_servers "$base")
  for port in $(zk_ensemble_ports "$base"); do
    i=$((i + 1))
    stop_zookeeper "$port" >/dev/null
    rm -rf "$(zk_dir "$port")"
    zk_config "$port" "$servers"
    echo "$i" >"$(zk_dir "$port")/data/myid"
  done
  for port in $(zk_ensemble_ports "$base"); do zk_launch "$port"; done
  # shellcheck disable=SC2046
  zk_wait $(zk_ensemble_ports "$base") ||
    die "the zookeeper ensemble on ports $(zk_ensemble_ports "$base") did not form; see $STATE_DIR/zk-$base.log"
  echo "started zookeeper-ensemble:$base"
}

stop_zookeeper_ensemble() {
  local base=$1 port stopped=""
  for port in $(zk_ensemble_ports "$base"); do
    [ -n "$(stop_zookeeper "$port")" ] && stopped=yes
  done
  [ -z "$stopped" ] || echo "stopped zookeeper-ensemble:$base"
}

status_zookeeper_ensemble() {
  local port
  for port in $(zk_ensemble_ports "$1"); do
    zk_running "$port" || { echo "zookeeper-ensemble:$1 stopped"; return 0; }
  done
  echo "zookeeper-ensemble:$1 running"
}

# One member of an ensemble, by its client port: `start` relaunches it with the config and data it
# had (after a kill), without waiting (a member alone has no quorum to serve with); `stop` stops it.
start_zookeeper_member() {
  local port=$1
  [ -f "$(zk_dir "$port")/zoo.cfg" ] || die "zookeeper-member:$port was never part of an ensemble"
  pid_alive "$(cat "$(zk_pidfile "$port")" 2>/dev/null || true)" && return 0
  zk_launch "$port"
  echo "started zookeeper-member:$port"
}

stop_zookeeper_member() { stop_zookeeper "$1" | sed 's/zookeeper:/zookeeper-member:/'; }

status_zookeeper_member() { status_zookeeper "$1" | sed 's/zookeeper:/zookeeper-member:/'; }

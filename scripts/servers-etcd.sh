# shellcheck shell=bash
# etcd for scripts/servers.sh (sourced; uses its helpers and STATE_DIR):
#   etcd[:PORT]          one member, client port PORT (default 2390), peer port PORT+1
#   etcd-cluster[:PORT]  three members, client ports PORT..PORT+2 (default 2400), peer ports
#                        PORT+10..+12
#   etcd-member:PORT     one member of such a cluster (restarted on its data after a kill)
# Debian's `etcd-server` package (3.4). Heartbeat 50 ms and election timeout 500 ms: a lost leader
# is replaced within about a second, and leases may be as short as 1 s (etcd's floor is 1.5 ×
# the election timeout, rounded up to whole seconds).

ETCD_TIMING=(--heartbeat-interval 50 --election-timeout 500)

etcd_need() { command -v etcd >/dev/null || apt_install etcd-server; }

etcd_dir() { echo "$STATE_DIR/etcd-$1"; }
etcd_pidfile() { echo "$STATE_DIR/etcd-$1.pid"; }

etcd_healthy() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 &&
    printf 'GET /health HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && cat <&3" 2>/dev/null |
    grep -q '"health":"true"'
}

etcd_running() {
  pid_alive "$(cat "$(etcd_pidfile "$1")" 2>/dev/null || true)" && etcd_healthy "$1"
}

# Starts member NAME with client port $2 and peer port $3 of the cluster "$4" (token $5), without
# waiting.
etcd_launch() {
  local name=$1 port=$2 peer=$3 cluster=$4 token=$5 dir
  dir=$(etcd_dir "$port")
  mkdir -p "$dir"
  # For a restart of this member alone (etcd-member).
  printf '%s\n' "$@" >"$dir/cmdline"
  (exec setsid etcd --name "$name" --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$token" \
    "${ETCD_TIMING[@]}" --log-level warn --logger zap \
    >"$STATE_DIR/etcd-$port.log" 2>&1 </dev/null &
    echo $! >"$(etcd_pidfile "$port")")
}

etcd_wait() {
  local port ok
  for _ in $(seq 1 300); do
    ok=yes
    for port in "$@"; do etcd_healthy "$port" || { ok=""; break; }; done
    [ -n "$ok" ] && return 0
    sleep 0.1
  done
  return 1
}

start_etcd() {
  local port=$1
  etcd_need
  etcd_running "$port" && return 0
  stop_etcd "$port" >/dev/null
  rm -rf "$(etcd_dir "$port")"
  etcd_launch "e$port" "$port" $((port + 1)) "e$port=http://127.0.0.1:$((port + 1))" "locker-$port"
  etcd_wait "$port" || die "etcd on port $port did not start; see $STATE_DIR/etcd-$port.log"
  echo "started etcd:$port"
}

stop_etcd() {
  local port=$1 pid
  pid=$(cat "$(etcd_pidfile "$port")" 2>/dev/null || true)
  if pid_alive "$pid"; then
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.05; done
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    echo "stopped etcd:$port"
  fi
  rm -f "$(etcd_pidfile "$port")"
}

status_etcd() {
  if etcd_running "$1"; then echo "etcd:$1 running"; else echo "etcd:$1 stopped"; fi
}

etcd_cluster_ports() { echo "$1" $(($1 + 1)) $(($1 + 2)); }

start_etcd_cluster() {
  local base=$1 port i cluster="" all_up=yes
  etcd_need
  for port in $(etcd_cluster_ports "$base"); do etcd_running "$port" || all_up=""; done
  [ -n "$all_up" ] && return 0
  for i in 0 1 2; do
    cluster+="${cluster:+,}c$((base + i))=http://127.0.0.1:$((base + 10 + i))"
  done
  # Partly running or stale: every member stopped and wiped before any starts, so that no old
  # member tells a new one it was bootstrapped already.
  for port in $(etcd_cluster_ports "$base"); do
    stop_etcd "$port" >/dev/null
    rm -rf "$(etcd_dir "$port")"
  done
  for i in 0 1 2; do
    port=$((base + i))
    etcd_launch "c$port" "$port" $((base + 10 + i)) "$cluster" "locker-cluster-$base"
  done
  # shellcheck disable=SC2046
  etcd_wait $(etcd_cluster_ports "$base") ||
    die "the etcd cluster on ports $(etcd_cluster_ports "$base") did not form; see $STATE_DIR/etcd-$base.log"
  echo "started etcd-cluster:$base"
}

stop_etcd_cluster() {
  local base=$1 port stopped=""
  for port in $(etcd_cluster_ports "$base"); do
    [ -n "$(stop_etcd "$port")" ] && stopped=yes
  done
  [ -z "$stopped" ] || echo "stopped etcd-cluster:$base"
}

status_etcd_cluster() {
  local port
  for port in $(etcd_cluster_ports "$1"); do
    etcd_running "$port" || { echo "etcd-cluster:$1 stopped"; return 0; }
  done
  echo "etcd-cluster:$1 running"
}

# One member of a cluster, by its client port: `start` relaunches it on the data it had (after a
# kill; etcd then ignores the initial-cluster flags), without waiting (a member alone has no
# quorum); `stop` stops it.
start_etcd_member() {
  local port=$1 cmdline
  [ -f "$(etcd_dir "$port")/cmdline" ] || die "etcd-member:$port was never part of a cluster"
  pid_alive "$(cat "$(etcd_pidfile "$port")" 2>/dev/null || true)" && return 0
  mapfile -t cmdline <"$(etcd_dir "$port")/cmdline"
  etcd_launch "${cmdline[@]}"
  echo "started etcd-member:$port"
}

stop_etcd_member() { stop_etcd "$1" | sed 's/etcd:/etcd-member:/'; }

status_etcd_member() { status_etcd "$1" | sed 's/etcd:/etcd-member:/'; }

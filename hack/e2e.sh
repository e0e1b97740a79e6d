#!/usr/bin/env bash
# hack/e2e.sh — `make e2e`: the operator on a real single-node Kubernetes.
#
#  1. builds (cached, skipped when up to date) the cluster's binaries into
#     bin/cluster (hack/cluster/build.sh) and the operator's minimal image from
#     the current tree (hack/cluster/image.sh, tagged by the tree's hash);
#  2. brings the cluster up (hack/cluster/up.sh): kubelet, containerd, runc,
#     kube-proxy, CoreDNS, every network address on a bridge of this machine,
#     no route or NAT off it;
#  3. gives pods the machine's PostgreSQL (127.0.0.1:5432) through a relay on
#     the node address, as the shared state store, in a database of its own;
#  4. runs test/e2e (installs the chart with Helm, applies the samples under
#     restricted Pod Security, runs the named checks and prints each figure);
#  5. tears everything down — also on failure or Ctrl-C — and leaves the
#     machine as it found it (hack/cluster/down.sh --purge: processes, mounts,
#     bridge, iptables chains, sysctls; the relay; the database).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export GOTOOLCHAIN=local
RC=$ROOT/bin/cluster
NODE_IP=10.200.0.1
PG_RELAY_PORT=26432
RECEIVER_PORT=26480
DB=retention_e2e
log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T0=$SECONDS

log "building the cluster (cached)"
hack/cluster/build.sh >&2
IFS=$'\t' read -r IMAGE IMAGE_TAR < <(hack/cluster/image.sh)
log "image $IMAGE ($((SECONDS - T0))s so far)"

relay_pid=""
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  log "tearing down"
  [[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null
  hack/cluster/down.sh --purge >&2 || true
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  log "done in $((SECONDS - T0))s (exit $rc)"
  exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

hack/cluster/up.sh >&2
export KUBECONFIG=$RC/run/admin.kubeconfig
SOCK=/run/retention-e2e/containerd/containerd.sock
"$RC/bin/ctr" -a "$SOCK" -n k8s.io images import "$IMAGE_TAR" >&2

# The state store: a fresh database on the machine's PostgreSQL, reached by
# pods at the node address through a relay bound to that address only.
psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $DB with (force)" >/dev/null
psql -h 127.0.0.1 -U postgres -d postgres -qc "create database $DB" >/dev/null
socat "TCP-LISTEN:$PG_RELAY_PORT,bind=$NODE_IP,reuseaddr,fork" TCP:127.0.0.1:5432 &
relay_pid=$!

log "running the checks"
E2E_ROOT=$ROOT E2E_KUBECTL=$RC/bin/kubectl E2E_HELM=$RC/bin/helm E2E_NODE_IP=$NODE_IP \
E2E_IMAGE=$IMAGE E2E_RECEIVER_PORT=$RECEIVER_PORT \
E2E_STATE_DSN="postgres://postgres@$NODE_IP:$PG_RELAY_PORT/$DB?sslmode=disable" \
E2E_HOST_DSN="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
  go test -tags e2e -count=1 -timeout 30m -v ./test/e2e/ 2>&1 | tee "$RC/e2e.log"
exit "${PIPESTATUS[0]}"

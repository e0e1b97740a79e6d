#!/usr/bin/env bash
# Control-plane load: how fast the manager, as shipped, converges N Segments
# and N Playbooks on a real kube-apiserver and etcd, and how many API writes
# it sends on the way (issue #16). Builds the manager as shipped (hack/lib/shipped-build.sh)
# and the load driver (hack/ctrlplaneload), which starts kube-apiserver (with
# an audit log of the manager's writes) and etcd from bin/k8s, installs the
# CRDs and the manager's ClusterRole from config/rbac, runs the manager with
# the chart's flags under its own identity, applies a DataSource, a Channel,
# N Segments and N Playbooks, and prints:
#   - the time from the first Segment/Playbook apply to all 2N Ready,
#   - the manager's writes (POST/PUT/PATCH/DELETE, from the audit log) by verb
#     and resource, total and per object, and in the quiet minute after,
#   - the manager's peak RSS (VmHWM) and CPU time.
# The metric job's report and the campaign Deployment's rollout are played
# by a stand-in (hack/ctrlplaneload/standin.go) writing as another user.
#
#   hack/bench-control-plane.sh                     # N=1000
#   N=200 QUIET=10s hack/bench-control-plane.sh     # a quick look
#   MANAGER_ARGS="--max-concurrent-reconciles=4" hack/bench-control-plane.sh
#   MANAGER=/tmp/old/manager hack/bench-control-plane.sh   # another build, e.g. the baseline
#   PROFILE=/tmp/apiserver.pprof hack/bench-control-plane.sh  # kube-apiserver's CPU profile (first 30 s)
#
# Environment: N (1000), QUIET (1m), TIMEOUT (10m), KUBEBUILDER_ASSETS
# (bin/k8s), MANAGER_ARGS (extra manager flags), PROFILE (a file for a CPU
# profile of kube-apiserver over the first 30 s of the load), MANAGER (a manager binary
# to run instead of building ./cmd/manager). Everything it starts is
# stopped and its temporary files removed on exit, failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000}
QUIET=${QUIET:-1m}
TIMEOUT=${TIMEOUT:-10m}
ASSETS=${KUBEBUILDER_ASSETS:-bin/k8s}
MANAGER_ARGS=${MANAGER_ARGS:-}
PROFILE=${PROFILE:-}
work=$(mktemp -d)
load_pid=

cleanup() {
	# SIGTERM lets the driver stop the manager, kube-apiserver and etcd and
	# remove its own temporary directory.
	if [ -n "$load_pid" ]; then kill -TERM "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for bin in kube-apiserver etcd; do
	[ -x "$ASSETS/$bin" ] || { echo "no $ASSETS/$bin: build it first (hack/build-k8s-binaries.sh, or make dev once)" >&2; exit 1; }
done

echo "== build"
MANAGER=${MANAGER:-}
if [ -z "$MANAGER" ]; then
	# shellcheck source=hack/lib/shipped-build.sh
	. hack/lib/shipped-build.sh
	shipped_build "$work/manager" ./cmd/manager
	MANAGER=$work/manager
fi
GOTOOLCHAIN=local go build -o "$work/ctrlplaneload" ./hack/ctrlplaneload
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$work/ctrlplaneload" -manager "$MANAGER" -assets "$ASSETS" -crds config/crd/bases -rbac config/rbac \
	-n "$N" -quiet "$QUIET" -timeout "$TIMEOUT" -manager-args "$MANAGER_ARGS" -apiserver-profile "$PROFILE" &
load_pid=$!
status=0
wait "$load_pid" || status=$?
load_pid=
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"

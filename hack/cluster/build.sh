#!/usr/bin/env bash
# hack/cluster/build.sh [OUTDIR]   (default OUTDIR: bin/cluster of this checkout)
#
# Builds everything a REAL single-node cluster needs, from the Go module proxy
# only (no release downloads, no container registry):
#   OUTDIR/bin/  kube-apiserver kube-controller-manager kube-scheduler kubelet
#                kube-proxy kubectl etcd helm
#                containerd containerd-shim-runc-v2 ctr   (containerd v2)
#                pause   (static sandbox binary for the pause image)
#                coredns (custom build: kubernetes, cache, health, ready... NO forward)
#   OUTDIR/images/pause.tar, coredns.tar   OCI archives (FROM scratch)
#   OUTDIR/.work/ throwaway Go modules; OUTDIR/.stamps/ idempotency stamps
#
# Same trick as ../build-k8s-bins.sh: a throwaway main module that requires
# k8s.io/kubernetes and replaces each staging module with its published
# v0.<minor>.<patch>. Binaries are static (CGO_ENABLED=0).
# Debian packages used at run time (apt): runc containernetworking-plugins
# iptables conntrack buildah   (installed by this script when missing).
#
# Idempotent: a component is skipped when its binary exists and its stamp
# matches. FORCE=1 rebuilds. COMPONENTS="..." selects (default: all).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)   # the project checkout

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
HELM3_VERSION=v3.22.0
CONTAINERD_VERSION=v2.4.2
COREDNS_VERSION=v1.14.7

ALL="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd helm containerd pause coredns"
OUT=${1:-$ROOT/bin/cluster}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
BIN=$OUT/bin WORK=$OUT/.work STAMPS=$OUT/.stamps IMAGES=$OUT/images
mkdir -p "$BIN" "$WORK" "$STAMPS" "$IMAGES"
COMPONENTS=${COMPONENTS:-$ALL}
FORCE=${FORCE:-0}
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off
# shellcheck source=scratch-image.sh
source "$(dirname "$0")/scratch-image.sh"

log() { printf '[cluster-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
want() { [[ " $COMPONENTS " == *" $1 "* ]]; }
up_to_date() { [[ "$FORCE" != 1 && -x "$2" && -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$3" ]]; }
timed() { local t0=$SECONDS; "${@:2}"; log "$1 done in $((SECONDS - t0))s"; }

# ---- Debian runtime packages ------------------------------------------------
need_pkgs=()
for p in runc containernetworking-plugins iptables conntrack buildah socat openssl; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
  log "apt-get install ${need_pkgs[*]}"
  # A new machine's package lists may be empty or old: refresh them first.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >&2
fi

# ---- k8s.io/kubernetes binaries --------------------------------------------
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
K8S_MINOR=${K8S_VERSION#v1.}; K8S_MINOR=${K8S_MINOR%%.*}
K8S_BUILD_FLAGS=(-trimpath -tags=selinux,notest,grpcnotrace)
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR -X $pkg.gitTreeState=clean"
done
K8S_STAMP="k8s.io/kubernetes@$K8S_VERSION staging@$STAGING_VERSION ${K8S_BUILD_FLAGS[*]} ldflags=$K8S_LDFLAGS"
k8s_ready=0
prepare_k8s_module() {
  [[ $k8s_ready == 1 ]] && return 0
  local dir=$WORK/k8s-$K8S_VERSION upstream_mod godir
  mkdir -p "$dir"
  upstream_mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f "$upstream_mod" ]] || { log "cannot download k8s.io/kubernetes@$K8S_VERSION go.mod"; exit 1; }
  godir=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream_mod")
  if [[ ! -f $dir/.ready || "$(cat "$dir/.ready")" != "$K8S_STAMP" ]]; then
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init k8sbins >/dev/null 2>&1
    go mod edit -go="$godir" -require="k8s.io/kubernetes@$K8S_VERSION"
    sed -n 's/^godebug \(.*\)$/\1/p' "$upstream_mod" | while read -r gd; do go mod edit -godebug="$gd"; done
    awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$upstream_mod" | while read -r m; do
      if grep -Eq "^[[:space:]]+${m//./\\.} v0\.0\.0([[:space:]]|$)" "$upstream_mod"; then
        go mod edit -replace="$m=$m@$STAGING_VERSION"
      fi
    done
    cat > tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
EOF
    go mod tidy
    echo "$K8S_STAMP" > .ready
  )
  fi
  K8S_DIR=$dir; k8s_ready=1
}
build_k8s() {
  local name=$1 bin=$BIN/$1
  if up_to_date "$name" "$bin" "$K8S_STAMP"; then log "$name up to date"; return 0; fi
  # kube-apiserver and kubectl at this version are already in bin/k8s (make test builds them)
  if [[ -x $ROOT/bin/k8s/$name && "$(cat "$ROOT/bin/k8s/.versions" 2>/dev/null)" == "kubernetes=$K8S_VERSION "* ]]; then
    cp "$ROOT/bin/k8s/$name" "$bin"; echo "$K8S_STAMP" > "$STAMPS/$name"; log "$name copied from bin/k8s"; return 0
  fi
  prepare_k8s_module
  log "building $name ($K8S_VERSION)"
  (cd "$K8S_DIR" && go build "${K8S_BUILD_FLAGS[@]}" -ldflags "$K8S_LDFLAGS" -o "$bin.tmp" "k8s.io/kubernetes/cmd/$name")
  mv -f "$bin.tmp" "$bin"; echo "$K8S_STAMP" > "$STAMPS/$name"
}

# ---- etcd -------------------------------------------------------------------
ETCD_STAMP="go.etcd.io/etcd/server/v3@$ETCD_VERSION -trimpath ldflags=-s -w"
build_etcd() {
  local bin=$BIN/etcd dir=$WORK/etcd-$ETCD_VERSION
  if up_to_date etcd "$bin" "$ETCD_STAMP"; then log "etcd up to date"; return 0; fi
  if [[ -x $ROOT/bin/k8s/etcd && "$(cat "$ROOT/bin/k8s/.versions" 2>/dev/null)" == *"etcd=$ETCD_VERSION" ]]; then
    cp "$ROOT/bin/k8s/etcd" "$bin"; echo "$ETCD_STAMP" > "$STAMPS/etcd"; log "etcd copied from bin/k8s"; return 0
  fi
  log "building etcd ($ETCD_VERSION)"
  mkdir -p "$dir"
  (
    cd "$dir"; rm -f go.mod go.sum
    go mod init etcdbin >/dev/null 2>&1
    go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
    go mod tidy
    go build -trimpath -ldflags "-s -w" -o "$bin.tmp" go.etcd.io/etcd/server/v3
  )
  mv -f "$bin.tmp" "$bin"; echo "$ETCD_STAMP" > "$STAMPS/etcd"
}

# ---- helm -------------------------------------------------------------------
build_helm() {
  local bin=$BIN/helm spec="helm.sh/helm/v3/cmd/helm@$HELM3_VERSION" stamp
  stamp="$spec -trimpath -ldflags=-s -w"
  if up_to_date helm "$bin" "$stamp"; then log "helm up to date"; return 0; fi
  if [[ -x $ROOT/bin/helm ]] && "$ROOT/bin/helm" version --short 2>/dev/null | grep "^${HELM3_VERSION}" >/dev/null; then
    cp "$ROOT/bin/helm" "$bin"; echo "$stamp" > "$STAMPS/helm"; log "helm copied from bin/"; return 0
  fi
  local tmp; tmp=$(mktemp -d "$WORK/gobin.XXXXXX")
  GOBIN=$tmp go install -trimpath -ldflags "-s -w" "$spec"
  mv -f "$tmp/helm" "$bin"; rmdir "$tmp"; echo "$stamp" > "$STAMPS/helm"
}

# ---- containerd v2 (Debian's 1.6.20 is too old for kubelet 1.37) ------------
CTRD_TAGS="no_btrfs no_devmapper no_zfs no_aufs"
CTRD_STAMP="github.com/containerd/containerd/v2@$CONTAINERD_VERSION tags=$CTRD_TAGS -trimpath"
build_containerd() {
  if up_to_date containerd "$BIN/containerd" "$CTRD_STAMP" && [[ -x $BIN/ctr && -x $BIN/containerd-shim-runc-v2 ]]; then
    log "containerd up to date"; return 0; fi
  log "building containerd $CONTAINERD_VERSION"
  local dir=$WORK/containerd-$CONTAINERD_VERSION
  mkdir -p "$dir"
  (
    cd "$dir"; rm -f go.mod go.sum
    go mod init ctrdbin >/dev/null 2>&1
    go mod edit -require="github.com/containerd/containerd/v2@$CONTAINERD_VERSION"
    cat > tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
EOF
    go mod tidy
    local ld="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION"
    for c in containerd containerd-shim-runc-v2 ctr; do
      go build -trimpath -tags "$CTRD_TAGS" -ldflags "$ld" -o "$BIN/$c.tmp" "github.com/containerd/containerd/v2/cmd/$c"
      mv -f "$BIN/$c.tmp" "$BIN/$c"
    done
  )
  echo "$CTRD_STAMP" > "$STAMPS/containerd"
}

# ---- pause image: static binary that sleeps until SIGINT/SIGTERM ------------
PAUSE_STAMP="pause-v1 (go, static, FROM scratch, user 65535)"
build_pause() {
  if up_to_date pause "$BIN/pause" "$PAUSE_STAMP" && [[ -f $IMAGES/pause.tar ]]; then log "pause up to date"; return 0; fi
  local dir=$WORK/pause
  mkdir -p "$dir"
  cat > "$dir/main.go" <<'EOF'
// pause: the pod sandbox process. Sleeps until SIGINT/SIGTERM, reaps zombies.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
EOF
  (cd "$dir" && [[ -f go.mod ]] || (cd "$dir" && go mod init pause >/dev/null 2>&1))
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/pause" .)
  scratch_image localhost/pause:3.10 "$IMAGES/pause.tar" "$BIN/pause" -- --entrypoint '["/pause"]' --user 65535:65535
  echo "$PAUSE_STAMP" > "$STAMPS/pause"
}

# ---- CoreDNS: cluster DNS only. Custom main with a fixed plugin list and NO
# forward plugin, so names outside cluster.local are never sent anywhere. ----
COREDNS_STAMP="github.com/coredns/coredns@$COREDNS_VERSION plugins=reload,ready,health,errors,log,loadbalance,cache,kubernetes,loop image-v1"
build_coredns() {
  if up_to_date coredns "$BIN/coredns" "$COREDNS_STAMP" && [[ -f $IMAGES/coredns.tar ]]; then log "coredns up to date"; return 0; fi
  log "building coredns $COREDNS_VERSION"
  local dir=$WORK/coredns-$COREDNS_VERSION
  mkdir -p "$dir"
  (
    cd "$dir"; rm -f go.mod go.sum
    go mod init corednsbin >/dev/null 2>&1
    go mod edit -require="github.com/coredns/coredns@$COREDNS_VERSION"
    cat > main.go <<'EOF2'
// Minimal CoreDNS: cluster DNS for the realcluster node, nothing upstream.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// Same relative order as CoreDNS's plugin.cfg.
var directives = []string{"reload", "ready", "health", "errors", "log", "loadbalance", "cache", "kubernetes", "loop"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
EOF2
    go mod tidy
    go build -trimpath -ldflags "-s -w" -o "$BIN/coredns.tmp" .
  )
  mv -f "$BIN/coredns.tmp" "$BIN/coredns"
  scratch_image "localhost/coredns:$COREDNS_VERSION" "$IMAGES/coredns.tar" "$BIN/coredns" -- --entrypoint '["/coredns"]'
  echo "$COREDNS_STAMP" > "$STAMPS/coredns"
}

T0=$SECONDS
log "go: $(go version)  out: $OUT  components: $COMPONENTS"
want pause      && timed pause build_pause
want containerd && timed containerd build_containerd
want etcd       && timed etcd build_etcd
for c in kube-apiserver kubelet kube-controller-manager kube-scheduler kube-proxy kubectl; do
  want $c && timed $c build_k8s $c
done
want helm       && timed helm build_helm
want coredns    && timed coredns build_coredns
log "all done in $((SECONDS - T0))s"
ls -l "$BIN" >&2

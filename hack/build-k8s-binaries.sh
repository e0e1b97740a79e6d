#!/usr/bin/env bash
# Builds the real Kubernetes test binaries (kube-apiserver, etcd, kubectl) from
# the Go module proxy into bin/k8s, because setup-envtest's download buckets are
# unreachable here and no container runtime can run kind. Idempotent: a binary
# already at the pinned version is kept, so only the first run pays (README.md
# gives the measured cold time; ~10 s with a warm Go build cache). A progress
# line is printed every 30 s (hack/progress.sh).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=hack/progress.sh
source "${root}/hack/progress.sh"
out="${root}/bin/k8s"
work="${root}/bin/.build"
stamp="${out}/.versions"
want="kubernetes=${K8S_VERSION} etcd=${ETCD_VERSION}"

if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${want}" \
   && -x "${out}/kube-apiserver" && -x "${out}/etcd" && -x "${out}/kubectl" ]]; then
  exit 0
fi
mkdir -p "${out}" "${work}/k8s" "${work}/etcd"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

echo ">> building kube-apiserver and kubectl ${K8S_VERSION} (first run only: many minutes on a small machine; a progress line every 30 s)" >&2
minor="${K8S_VERSION#v1.}"; staging="v0.${minor}"
gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
{
  echo "module envtestbins"
  echo
  echo "go 1.26.0"
  echo
  grep '^godebug' "${gomod}" || true
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  # Every staging module kubernetes replaces with ./staging becomes the published
  # module at the matching v0 version; the sample modules are not needed.
  grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging' "${gomod}" | awk '{print $1}' \
    | grep -v '^k8s.io/sample-' \
    | sed "s|.*|replace & => & ${staging}|"
} > "${work}/k8s/go.mod"
cat > "${work}/k8s/tools.go" <<'GO'
//go:build tools

package envtestbins

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
(
  cd "${work}/k8s"
  go mod tidy -e >/dev/null 2>&1 || go mod tidy
  for cmd in kube-apiserver kubectl; do
    with_progress "${cmd}" go build -v -trimpath -tags=selinux,notest,grpcnotrace -ldflags "${ldflags}" \
      -o "${out}/${cmd}" "k8s.io/kubernetes/cmd/${cmd}"
  done
)

echo ">> building etcd ${ETCD_VERSION} (first run only)" >&2
cat > "${work}/etcd/go.mod" <<MOD
module envtestetcd

go 1.26.0

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
MOD
cat > "${work}/etcd/tools.go" <<'GO'
//go:build tools

package envtestetcd

import _ "go.etcd.io/etcd/server/v3"
GO
(
  cd "${work}/etcd"
  go mod tidy -e >/dev/null 2>&1 || go mod tidy
  with_progress etcd go build -v -trimpath -ldflags "-s -w" -o "${out}/etcd" go.etcd.io/etcd/server/v3
)
echo "${want}" > "${stamp}"

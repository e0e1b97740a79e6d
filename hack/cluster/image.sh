#!/usr/bin/env bash
# hack/cluster/image.sh — build the operator's minimal image from the current
# tree, without a registry or a container engine: static binaries (manager,
# worker, retentionctl; the time-zone database compiled in), FROM scratch,
# user 65532, saved as an OCI archive under bin/cluster/images/.
#
# The tag is the content hash of the tree (Go sources, go.mod/go.sum, CRDs),
# so an unchanged tree reuses the archive: prints the image reference and
# the archive path, tab-separated.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=$ROOT/bin/cluster/images
mkdir -p "$OUT"
log() { printf '[cluster-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

hash=$( { git ls-files -z --cached --others --exclude-standard -- api cmd internal config/crd go.mod go.sum \
          | sort -z | xargs -0 sha256sum; go version; } | sha256sum | cut -c1-12)
ref=localhost/retention-operator:$hash
tar=$OUT/retention-operator-$hash.tar
if [[ -f $tar ]]; then
  log "image $ref up to date"
  printf '%s\t%s\n' "$ref" "$tar"
  exit 0
fi

log "building $ref"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=hack/lib/shipped-build.sh
. "$ROOT/hack/lib/shipped-build.sh"
shipped_build "$work/manager" ./cmd/manager
shipped_build "$work/worker" ./cmd/worker "$hash"
shipped_build "$work/retentionctl" ./cmd/retentionctl

rm -f "$OUT"/retention-operator-*.tar   # keep one archive: the current tree's
# shellcheck source=scratch-image.sh
source "$(dirname "$0")/scratch-image.sh"
scratch_image "$ref" "$tar" "$work/manager" "$work/worker" "$work/retentionctl" -- \
  --entrypoint '["/manager"]' --user 65532:65532 \
  --label org.opencontainers.image.source=retention-operator --label org.opencontainers.image.revision="$hash"
log "built $tar"
printf '%s\t%s\n' "$ref" "$tar"

# shellcheck shell=bash
# Sourced by the scripts that build the operator's binaries the way the
# image ships them (Dockerfile, hack/cluster/image.sh, the benchmarks): a
# static, stripped build. A benchmark of a binary built otherwise measures
# something users do not run: the symbol tables alone add about 19 MB to a
# worker's resident memory (BENCHMARKS.md).

# shipped_build OUT PACKAGE [VERSION]: builds PACKAGE into OUT as shipped.
shipped_build() {
	local ld="-s -w"
	[ -n "${3:-}" ] && ld="$ld -X github.com/retention-dev/retention-operator/internal/worker/cmd.Version=$3"
	CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags "$ld" -o "$1" "$2"
}

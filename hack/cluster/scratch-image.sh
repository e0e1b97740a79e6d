# scratch_image REF TAR FILE... -- CONFIG-FLAGS...
# Builds a FROM-scratch image holding FILEs at / with buildah, saves it as an
# OCI archive at TAR (the only thing kept: nothing stays in buildah's
# storage), for `ctr images import`. Sourced by build.sh and image.sh.
scratch_image() {
  local ref=$1 tar=$2; shift 2
  local files=()
  while [[ $# -gt 0 && $1 != -- ]]; do files+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  local ctr; ctr=$(buildah from scratch)
  buildah copy "$ctr" "${files[@]}" / >/dev/null
  buildah config "$@" "$ctr"
  buildah commit -q --format oci "$ctr" "$ref" >/dev/null
  buildah rm "$ctr" >/dev/null
  rm -f "$tar"
  buildah push -q "$ref" "oci-archive:$tar:$ref"
  buildah rmi -f "$ref" >/dev/null
}

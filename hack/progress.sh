# Sourced by hack/build-k8s-binaries.sh. The cold kube-apiserver build
# compiles about two thousand packages and would otherwise print nothing for
# many minutes on a small machine, which reads as a hang.

# with_progress LABEL CMD...: runs CMD (a `go build -v`, which names each
# package on stderr as it compiles it) and prints a line every
# PROGRESS_SECONDS (30) with the packages compiled so far and the time
# elapsed, then one line with the total. On failure it shows the build's
# output, so the compiler's error is not lost in the count.
with_progress() {
  local label=$1 every=${PROGRESS_SECONDS:-30} log rc=0 start=$SECONDS beat
  shift
  log="$(mktemp)"
  (
    while sleep "${every}"; do
      local n; n=$(grep -vc '^#' "${log}" || true)
      local t=$((SECONDS - start))
      printf '>> %s: %d packages compiled, %dm%02ds elapsed\n' "${label}" "${n}" $((t / 60)) $((t % 60)) >&2
    done
  ) &
  beat=$!
  "$@" 2>"${log}" || rc=$?
  kill "${beat}" 2>/dev/null || true
  wait "${beat}" 2>/dev/null || true
  local t=$((SECONDS - start))
  if ((rc != 0)); then
    cat "${log}" >&2
    printf '>> %s: failed after %dm%02ds\n' "${label}" $((t / 60)) $((t % 60)) >&2
  else
    printf '>> %s: done, %d packages compiled in %dm%02ds\n' "${label}" "$(grep -vc '^#' "${log}" || true)" $((t / 60)) $((t % 60)) >&2
  fi
  rm -f "${log}"
  return "${rc}"
}

#!/usr/bin/env bash
# Copies the generated CRDs into the Helm chart's templates, wrapped in the
# crds.enabled / crds.keep switches (Helm never upgrades files under crds/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${root}/charts/retention-operator/templates/crds"
[[ -d "${root}/charts/retention-operator" ]] || exit 0
mkdir -p "${dest}"
for f in "${root}"/config/crd/bases/*.yaml; do
  out="${dest}/$(basename "${f}")"
  {
    echo '{{- if .Values.crds.enabled }}'
    # Insert the keep annotation right after metadata: / annotations:.
    awk '
      /^  annotations:$/ && !done { print; print "    {{- if .Values.crds.keep }}"; print "    helm.sh/resource-policy: keep"; print "    {{- end }}"; done=1; next }
      { print }
    ' "${f}"
    echo '{{- end }}'
  } > "${out}"
done

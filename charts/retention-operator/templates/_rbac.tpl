{{/*
The manager's rules: exactly those of config/rbac/role.yaml (generated from
the controllers' +kubebuilder:rbac markers by `make manifests`); test/helm
fails when the two differ. Rendered into one ClusterRole, or, with
watchNamespaces, into one Role per watched namespace.
*/}}
{{- define "retention-operator.managerRules" }}
  # Worker configuration and report ConfigMaps, worker identities and Services.
  - apiGroups: [""]
    resources: ["configmaps", "serviceaccounts", "services"]
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
  # Namespaces: read one by name to tell whether it is being deleted (no event
  # is recorded into a namespace that is going away).
  - apiGroups: [""]
    resources: ["namespaces"]
    verbs: ["get"]
  # Secrets: the manager checks that referenced Secrets exist and watches
  # their metadata only (a PartialObjectMetadata informer), so it never caches
  # their contents. A metadata informer still issues LIST and WATCH, hence
  # those two verbs; nothing is ever created, changed or deleted.
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get", "list", "watch"]
  # Campaign and loyalty worker Deployments.
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
  # Metrics CronJobs, and the one-off Job that runs a new Segment's metric
  # job at once instead of at its next scheduled time.
  - apiGroups: ["batch"]
    resources: ["cronjobs", "jobs"]
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
  # Ready transitions are recorded as events.
  - apiGroups: ["events.k8s.io"]
    resources: ["events"]
    verbs: ["create", "patch"]
  # Per-resource worker Roles/RoleBindings. Each grants get/update/patch on
  # one report ConfigMap, which the manager holds itself, so neither escalate
  # nor bind is needed.
  - apiGroups: ["rbac.authorization.k8s.io"]
    resources: ["rolebindings", "roles"]
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
  # The five kinds: read only. Users and GitOps tools own them; the manager
  # writes nothing but their status.
  - apiGroups: ["retention.dev"]
    resources: ["channels", "datasources", "loyaltyprograms", "playbooks", "segments"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["retention.dev"]
    resources: ["channels/status", "datasources/status", "loyaltyprograms/status", "playbooks/status", "segments/status"]
    verbs: ["get", "patch", "update"]
{{- end }}

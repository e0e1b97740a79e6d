package devrun

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// podEnv is the environment a container would get from its pod template:
// envFrom first, then env in order (later entries win and may refer to
// earlier ones with $(NAME)), with valueFrom resolved from the API server the
// way the kubelet does. Nothing from the user's shell leaks in.
func podEnv(ctx context.Context, c client.Reader, namespace, podName string, spec *corev1.PodSpec) ([]string, error) {
	ctr := spec.Containers[0]
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, seen := vals[k]; !seen {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, src := range ctr.EnvFrom {
		switch {
		case src.ConfigMapRef != nil:
			var cm corev1.ConfigMap
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: src.ConfigMapRef.Name}, &cm); err != nil {
				if optional(src.ConfigMapRef.Optional) {
					continue
				}
				return nil, fmt.Errorf("envFrom configMapRef %q: %w", src.ConfigMapRef.Name, err)
			}
			for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
				set(src.Prefix+k, cm.Data[k])
			}
		case src.SecretRef != nil:
			var s corev1.Secret
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: src.SecretRef.Name}, &s); err != nil {
				if optional(src.SecretRef.Optional) {
					continue
				}
				return nil, fmt.Errorf("envFrom secretRef %q: %w", src.SecretRef.Name, err)
			}
			for _, k := range slices.Sorted(maps.Keys(s.Data)) {
				set(src.Prefix+k, string(s.Data[k]))
			}
		}
	}
	for _, e := range ctr.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, vals))
			continue
		}
		v, skip, err := valueFrom(ctx, c, namespace, podName, spec, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if !skip {
			set(e.Name, v)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

func valueFrom(ctx context.Context, c client.Reader, namespace, podName string, spec *corev1.PodSpec, src *corev1.EnvVarSource) (value string, skip bool, err error) {
	switch {
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, &s); err != nil {
			return "", optional(ref.Optional), ignoreIf(optional(ref.Optional), fmt.Errorf("secretKeyRef %s: %w", ref.Name, err))
		}
		b, ok := s.Data[ref.Key]
		if !ok {
			return "", optional(ref.Optional), ignoreIf(optional(ref.Optional), fmt.Errorf("secretKeyRef: Secret %s has no key %q", ref.Name, ref.Key))
		}
		return string(b), false, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, &cm); err != nil {
			return "", optional(ref.Optional), ignoreIf(optional(ref.Optional), fmt.Errorf("configMapKeyRef %s: %w", ref.Name, err))
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			return "", optional(ref.Optional), ignoreIf(optional(ref.Optional), fmt.Errorf("configMapKeyRef: ConfigMap %s has no key %q", ref.Name, ref.Key))
		}
		return v, false, nil
	case src.FieldRef != nil:
		switch path := src.FieldRef.FieldPath; path {
		case "metadata.name":
			return podName, false, nil
		case "metadata.namespace":
			return namespace, false, nil
		case "spec.serviceAccountName":
			return spec.ServiceAccountName, false, nil
		case "spec.nodeName":
			return "localhost", false, nil
		case "status.podIP", "status.hostIP", "status.podIPs", "status.hostIPs":
			return "127.0.0.1", false, nil
		default:
			return "", false, fmt.Errorf("fieldRef %q is not available in the local run", path)
		}
	case src.ResourceFieldRef != nil:
		return "", true, nil // limits mean nothing to a local process
	}
	return "", false, fmt.Errorf("unsupported valueFrom")
}

// expand replaces $(NAME) with earlier variables; $$ escapes, unknown names stay.
func expand(s string, vals map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			if s[i+1] == '$' {
				b.WriteByte('$')
				i++
				continue
			}
			if s[i+1] == '(' {
				if end := strings.IndexByte(s[i:], ')'); end > 0 {
					if v, ok := vals[s[i+2:i+end]]; ok {
						b.WriteString(v)
						i += end
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func optional(p *bool) bool { return p != nil && *p }

func ignoreIf(cond bool, err error) error {
	if cond {
		return nil
	}
	return err
}

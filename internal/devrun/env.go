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
		var (
			what, name string
			opt        *bool
			secret     bool
		)
		switch {
		case src.ConfigMapRef != nil:
			what, name, opt = "configMapRef", src.ConfigMapRef.Name, src.ConfigMapRef.Optional
		case src.SecretRef != nil:
			what, name, opt, secret = "secretRef", src.SecretRef.Name, src.SecretRef.Optional, true
		default:
			continue
		}
		data, err := objectData(ctx, c, namespace, name, secret)
		if err != nil {
			if optional(opt) {
				continue
			}
			return nil, fmt.Errorf("envFrom %s %q: %w", what, name, err)
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			set(src.Prefix+k, data[k])
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
		return keyValue(ctx, c, namespace, "secretKeyRef", "Secret", ref.Name, ref.Key, ref.Optional)
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		return keyValue(ctx, c, namespace, "configMapKeyRef", "ConfigMap", ref.Name, ref.Key, ref.Optional)
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

// keyValue is what key holds in the Secret or ConfigMap (kind) name, for the
// env field of that name; a missing object or key is skipped when optional.
func keyValue(ctx context.Context, c client.Reader, namespace, field, kind, name, key string, opt *bool) (value string, skip bool, err error) {
	data, err := objectData(ctx, c, namespace, name, kind == "Secret")
	if err != nil {
		return "", optional(opt), ignoreIf(optional(opt), fmt.Errorf("%s %s: %w", field, name, err))
	}
	v, ok := data[key]
	if !ok {
		return "", optional(opt), ignoreIf(optional(opt), fmt.Errorf("%s: %s %s has no key %q", field, kind, name, key))
	}
	return v, false, nil
}

// objectData is the data of the ConfigMap, or when secret the Secret, name:
// a Secret's bytes as text.
func objectData(ctx context.Context, c client.Reader, namespace, name string, secret bool) (map[string]string, error) {
	key := client.ObjectKey{Namespace: namespace, Name: name}
	if !secret {
		var cm corev1.ConfigMap
		err := c.Get(ctx, key, &cm)
		return cm.Data, err
	}
	var s corev1.Secret
	if err := c.Get(ctx, key, &s); err != nil {
		return nil, err
	}
	data := make(map[string]string, len(s.Data))
	for k, v := range s.Data {
		data[k] = string(v)
	}
	return data, nil
}

func ignoreIf(cond bool, err error) error {
	if cond {
		return nil
	}
	return err
}

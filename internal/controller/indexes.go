package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// registerIndexes declares, per kind, which names each object refers to.
func registerIndexes(mgr manager.Manager) error {
	idx := mgr.GetFieldIndexer()
	ctx := context.Background()
	indexes := []struct {
		obj   client.Object
		field string
		refs  func(client.Object) []string
	}{
		{&v1alpha1.Segment{}, indexDataSource, func(o client.Object) []string {
			return []string{o.(*v1alpha1.Segment).Spec.DataSourceRef.Name}
		}},
		{&v1alpha1.Segment{}, indexProgram, func(o client.Object) []string {
			if ref := o.(*v1alpha1.Segment).Spec.LoyaltyProgramRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}},
		{&v1alpha1.LoyaltyProgram{}, indexDataSource, func(o client.Object) []string {
			return []string{o.(*v1alpha1.LoyaltyProgram).Spec.DataSourceRef.Name}
		}},
		{&v1alpha1.LoyaltyProgram{}, indexSecret, func(o client.Object) []string {
			lp := o.(*v1alpha1.LoyaltyProgram)
			names := []string{lp.Spec.APITokenSecretRef.Name}
			if admin := lp.Spec.AdminTokenSecretRef; admin != nil {
				names = append(names, admin.Name)
			}
			return names
		}},
		{&v1alpha1.Playbook{}, indexSegment, func(o client.Object) []string {
			return []string{o.(*v1alpha1.Playbook).Spec.SegmentRef.Name}
		}},
		{&v1alpha1.Playbook{}, indexChannel, func(o client.Object) []string {
			return channelRefs(&o.(*v1alpha1.Playbook).Spec)
		}},
		{&v1alpha1.Playbook{}, indexProgram, func(o client.Object) []string {
			return programRefs(&o.(*v1alpha1.Playbook).Spec)
		}},
		{&v1alpha1.DataSource{}, indexSecret, func(o client.Object) []string {
			return dataSourceSecrets(&o.(*v1alpha1.DataSource).Spec)
		}},
		{&v1alpha1.Channel{}, indexSecret, func(o client.Object) []string {
			return channelSecrets(&o.(*v1alpha1.Channel).Spec)
		}},
	}
	for _, i := range indexes {
		if err := idx.IndexField(ctx, i.obj, i.field, i.refs); err != nil {
			return err
		}
	}
	return nil
}

func dataSourceSecrets(spec *v1alpha1.DataSourceSpec) []string {
	var out []string
	if spec.Postgres != nil {
		out = append(out, spec.Postgres.DSNSecretRef.Name)
	}
	if spec.StateStore != nil {
		out = append(out, spec.StateStore.DSNSecretRef.Name)
	}
	if spec.Ingest != nil {
		out = append(out, spec.Ingest.WriteKeySecretRef.Name)
	}
	return out
}

func channelSecrets(spec *v1alpha1.ChannelSpec) []string {
	var out []string
	switch {
	case spec.Webhook != nil:
		out = append(out, spec.Webhook.SigningSecretRef.Name)
	case spec.SMTP != nil && spec.SMTP.CredentialsSecretRef != nil:
		out = append(out, spec.SMTP.CredentialsSecretRef.Name)
	}
	if p := spec.Preferences; p != nil {
		out = append(out, p.SigningKeyRef.Name)
	}
	return out
}

func forEachItem(list client.ObjectList, fn func(client.Object)) error {
	return meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok {
			fn(obj)
		}
		return nil
	})
}

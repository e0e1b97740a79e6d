package cli

import (
	"fmt"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// reference is one field of an object that names another object.
type reference struct {
	path string // field path of the reference's name
	kind string // kind of the referenced object
	name string
}

// references lists what an object refers to. Secrets and ConfigMaps are
// listed too; missing ones are only warnings because GitOps repositories
// often create them elsewhere (sealed or external secrets).
func references(d *document) []reference {
	var refs []reference
	add := func(path, kind, name string) {
		if name != "" {
			refs = append(refs, reference{path: path, kind: kind, name: name})
		}
	}
	switch d.kind {
	case "Playbook":
		pb, ok := typed[v1alpha1.Playbook](d)
		if !ok {
			return nil
		}
		add("spec.segmentRef.name", "Segment", pb.Spec.SegmentRef.Name)
		if t := pb.Spec.Trigger.TierChange; t != nil {
			add("spec.trigger.tierChange.programRef.name", "LoyaltyProgram", t.ProgramRef.Name)
		}
		for i, s := range pb.Spec.Steps {
			if s.Send != nil {
				add(fmt.Sprintf("spec.steps[%d].send.channelRef.name", i), "Channel", s.Send.ChannelRef.Name)
				for j, v := range s.Send.Variants {
					if v.ChannelRef != nil {
						add(fmt.Sprintf("spec.steps[%d].send.variants[%d].channelRef.name", i, j), "Channel", v.ChannelRef.Name)
					}
				}
			}
			if s.AwardPoints != nil {
				add(fmt.Sprintf("spec.steps[%d].awardPoints.programRef.name", i), "LoyaltyProgram", s.AwardPoints.ProgramRef.Name)
			}
		}
	case "Segment":
		seg, ok := typed[v1alpha1.Segment](d)
		if !ok {
			return nil
		}
		add("spec.dataSourceRef.name", "DataSource", seg.Spec.DataSourceRef.Name)
		if r := seg.Spec.LoyaltyProgramRef; r != nil {
			add("spec.loyaltyProgramRef.name", "LoyaltyProgram", r.Name)
		}
	case "LoyaltyProgram":
		lp, ok := typed[v1alpha1.LoyaltyProgram](d)
		if !ok {
			return nil
		}
		add("spec.dataSourceRef.name", "DataSource", lp.Spec.DataSourceRef.Name)
		add("spec.apiTokenSecretRef.name", "Secret", lp.Spec.APITokenSecretRef.Name)
	case "DataSource":
		ds, ok := typed[v1alpha1.DataSource](d)
		if !ok {
			return nil
		}
		if p := ds.Spec.Postgres; p != nil {
			add("spec.postgres.dsnSecretRef.name", "Secret", p.DSNSecretRef.Name)
		}
		if f := ds.Spec.File; f != nil && f.ConfigMapRef != nil {
			add("spec.file.configMapRef.name", "ConfigMap", f.ConfigMapRef.Name)
		}
		if s := ds.Spec.StateStore; s != nil {
			add("spec.stateStore.dsnSecretRef.name", "Secret", s.DSNSecretRef.Name)
		}
	case "Channel":
		ch, ok := typed[v1alpha1.Channel](d)
		if !ok {
			return nil
		}
		if w := ch.Spec.Webhook; w != nil {
			add("spec.webhook.signingSecretRef.name", "Secret", w.SigningSecretRef.Name)
		}
		if s := ch.Spec.SMTP; s != nil && s.CredentialsSecretRef != nil {
			add("spec.smtp.credentialsSecretRef.name", "Secret", s.CredentialsSecretRef.Name)
		}
		if p := ch.Spec.Preferences; p != nil {
			add("spec.preferences.signingKeyRef.name", "Secret", p.SigningKeyRef.Name)
			if p.DataSourceRef != nil {
				add("spec.preferences.dataSourceRef.name", "DataSource", p.DataSourceRef.Name)
			}
		}
	}
	return refs
}

// checkReferences reports duplicate objects and references to objects that
// are not defined in the linted files (same namespace; an object without a
// namespace matches references from objects without one).
func (l *linter) checkReferences() {
	l.schemaFields, l.objectRules = nil, nil
	type key struct{ namespace, kind, name string }
	defined := map[key]*document{}
	for _, d := range l.docs {
		if d.kind == "" || d.name == "" {
			continue
		}
		k := key{d.namespace, d.kind, d.name}
		if first, dup := defined[k]; dup {
			l.report(d, "metadata.name", "%s is defined twice (first at %s:%d)", d.id(), first.file, first.line)
			continue
		}
		defined[k] = d
	}
	for _, d := range l.docs {
		for _, r := range references(d) {
			if _, ok := defined[key{d.namespace, r.kind, r.name}]; ok {
				continue
			}
			external := r.kind == "Secret" || r.kind == "ConfigMap"
			if l.allowExternalRefs && !external {
				continue
			}
			msg := fmt.Sprintf("%s %q is not defined in the linted files", r.kind, r.name)
			if external {
				msg += " (it must exist in the cluster)"
			} else {
				msg += "; add it, fix the name, or pass --allow-external-refs"
			}
			p := problem{File: d.file, Line: lineOf(d.root, r.path), Object: d.id(), Field: r.path, Message: msg, Warning: external}
			l.probs = append(l.probs, p)
		}
	}
}

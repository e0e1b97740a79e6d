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
	if list, ok := referenceLists[d.kind]; ok {
		return list(d)
	}
	return nil
}

// addRef records one reference; an empty name (an optional field left
// out) is no reference.
type addRef func(path, kind, name string)

// referenceLists holds, for each kind that refers to others, the fields
// that do.
var referenceLists = map[string]func(*document) []reference{
	"Playbook":       referencesOf(playbookRefs),
	"Segment":        referencesOf(segmentRefs),
	"LoyaltyProgram": referencesOf(loyaltyProgramRefs),
	"DataSource":     referencesOf(dataSourceRefs),
	"Channel":        referencesOf(channelRefs),
}

func referencesOf[T any](list func(*T, addRef)) func(*document) []reference {
	return func(d *document) []reference {
		obj, ok := typed[T](d)
		if !ok {
			return nil
		}
		var refs []reference
		list(obj, func(path, kind, name string) {
			if name != "" {
				refs = append(refs, reference{path: path, kind: kind, name: name})
			}
		})
		return refs
	}
}

func playbookRefs(pb *v1alpha1.Playbook, add addRef) {
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
}

func segmentRefs(seg *v1alpha1.Segment, add addRef) {
	add("spec.dataSourceRef.name", "DataSource", seg.Spec.DataSourceRef.Name)
	if r := seg.Spec.LoyaltyProgramRef; r != nil {
		add("spec.loyaltyProgramRef.name", "LoyaltyProgram", r.Name)
	}
}

func loyaltyProgramRefs(lp *v1alpha1.LoyaltyProgram, add addRef) {
	add("spec.dataSourceRef.name", "DataSource", lp.Spec.DataSourceRef.Name)
	add("spec.apiTokenSecretRef.name", "Secret", lp.Spec.APITokenSecretRef.Name)
}

func dataSourceRefs(ds *v1alpha1.DataSource, add addRef) {
	if p := ds.Spec.Postgres; p != nil {
		add("spec.postgres.dsnSecretRef.name", "Secret", p.DSNSecretRef.Name)
	}
	if f := ds.Spec.File; f != nil && f.ConfigMapRef != nil {
		add("spec.file.configMapRef.name", "ConfigMap", f.ConfigMapRef.Name)
	}
	if s := ds.Spec.StateStore; s != nil {
		add("spec.stateStore.dsnSecretRef.name", "Secret", s.DSNSecretRef.Name)
	}
}

func channelRefs(ch *v1alpha1.Channel, add addRef) {
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

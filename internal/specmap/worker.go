package specmap

import (
	"fmt"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// The worker specs: each controller maps its kind and the references it
// resolved once, with the functions above, and renders the result
// (workerconfig.Render) into the worker's spec ConfigMap. Workers decode it
// as is. Errors name the field; a referenced object's errors name the object.

// SegmentWorker is the metric job's spec. lp is the Segment's
// spec.loyaltyProgramRef, nil when it names none.
func SegmentWorker(seg *v1alpha1.Segment, ds *v1alpha1.DataSource, lp *v1alpha1.LoyaltyProgram) (workerconfig.Segment, error) {
	out, err := segmentView(seg, ds)
	if err != nil {
		return out, err
	}
	if lp != nil {
		cfg, err := Loyalty(&lp.Spec)
		if err != nil {
			return out, fmt.Errorf("loyaltyprogram %q: %w", lp.Name, err)
		}
		out.Loyalty = &cfg
	}
	return out, nil
}

// segmentView is a Segment as workers see it, without its program's
// configuration (the campaign worker reads the ledger, not the rules).
func segmentView(seg *v1alpha1.Segment, ds *v1alpha1.DataSource) (workerconfig.Segment, error) {
	out := workerconfig.Segment{Namespace: seg.Namespace, Name: seg.Name}
	var err error
	if out.Config, err = Segment(&seg.Spec); err != nil {
		return out, err
	}
	if out.DataSource, err = DataSource(ds.Namespace, ds.Name, &ds.Spec); err != nil {
		return out, fmt.Errorf("datasource %q: %w", ds.Name, err)
	}
	if ref := seg.Spec.LoyaltyProgramRef; ref != nil {
		out.LoyaltyProgram = ref.Name
	}
	return out, nil
}

// PlaybookInputs are a Playbook's resolved references.
type PlaybookInputs struct {
	Segment    *v1alpha1.Segment
	DataSource *v1alpha1.DataSource
	// Channels by name: every Channel a step or variant sends through.
	Channels map[string]*v1alpha1.Channel
	// LoyaltyPrograms by name, with the endpoint each one's status names.
	LoyaltyPrograms map[string]workerconfig.LoyaltyEndpoint
}

// PlaybookWorker is the campaign worker's spec.
func PlaybookWorker(pb *v1alpha1.Playbook, in PlaybookInputs) (workerconfig.Playbook, error) {
	out := workerconfig.Playbook{Namespace: pb.Namespace, Name: pb.Name, Replicas: 1,
		Channels: map[string]workerconfig.Channel{}, LoyaltyPrograms: in.LoyaltyPrograms}
	var err error
	if out.Journey, err = Playbook(pb.Namespace, pb.Name, &pb.Spec); err != nil {
		return out, err
	}
	if out.Segment, err = segmentView(in.Segment, in.DataSource); err != nil {
		return out, fmt.Errorf("segment %q: %w", in.Segment.Name, err)
	}
	if se := pb.Spec.Trigger.SegmentEntry; se != nil {
		out.InitialMembers = se.InitialMembers
	}
	if w := pb.Spec.Workers; w != nil && w.Replicas != nil && *w.Replicas > 1 {
		out.Replicas = int(*w.Replicas)
	}
	for name, ch := range in.Channels {
		if out.Channels[name], err = WorkerChannel(&ch.Spec); err != nil {
			return out, fmt.Errorf("channel %q: %w", name, err)
		}
	}
	return out, nil
}

// WorkerChannel is a Channel as the campaign worker sends through it.
func WorkerChannel(spec *v1alpha1.ChannelSpec) (workerconfig.Channel, error) {
	sender, err := Channel(spec)
	if err != nil {
		return workerconfig.Channel{}, err
	}
	prefs, err := Preferences(spec)
	if err != nil {
		return workerconfig.Channel{}, err
	}
	return workerconfig.Channel{Sender: sender, Kind: ChannelKind(spec), Preferences: prefs}, nil
}

// LoyaltyWorker is the loyalty API's and its metrics job's spec.
func LoyaltyWorker(lp *v1alpha1.LoyaltyProgram, ds *v1alpha1.DataSource) (workerconfig.Loyalty, error) {
	out := workerconfig.Loyalty{Namespace: lp.Namespace, Name: lp.Name, APITokenKey: lp.Spec.APITokenSecretRef.Key}
	if ref := lp.Spec.AdminTokenSecretRef; ref != nil {
		out.AdminTokenKey = ref.Key
	}
	var err error
	if out.Program, err = Loyalty(&lp.Spec); err != nil {
		return out, err
	}
	if out.DataSource, err = DataSource(ds.Namespace, ds.Name, &ds.Spec); err != nil {
		return out, fmt.Errorf("datasource %q: %w", ds.Name, err)
	}
	return out, nil
}

// PreferencesWorker is a Channel's preference page server's spec; ok is
// false when the Channel sets no spec.preferences.
func PreferencesWorker(ch *v1alpha1.Channel) (out workerconfig.Preferences, ok bool, err error) {
	prefs, err := Preferences(&ch.Spec)
	if err != nil || prefs == nil {
		return out, false, err
	}
	return workerconfig.Preferences{Namespace: ch.Namespace, Name: ch.Name, Preferences: *prefs}, true, nil
}

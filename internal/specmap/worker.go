package specmap

import (
	"fmt"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/metrics"
)

// The worker specs: each controller maps and validates its own kind once
// (Segment, Playbook, Loyalty, ...), passes that configuration here with the
// references it resolved, and renders the result (contract.Render) into
// the worker's spec ConfigMap. Workers decode it as is. A referenced
// object's errors name the object.

// SegmentWorker is the metric job's spec; cfg is specmap.Segment's mapping
// of seg, lp the Segment's spec.loyaltyProgramRef (nil when it names none).
func SegmentWorker(seg *v1alpha1.Segment, cfg metrics.SegmentConfig, ds *v1alpha1.DataSource, lp *v1alpha1.LoyaltyProgram) (contract.Segment, error) {
	out, err := segmentWith(seg, cfg, ds)
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

// segmentView is a Segment as the campaign worker sees it, without its
// program's configuration (the campaign worker reads the ledger, not the
// rules).
func segmentView(seg *v1alpha1.Segment, ds *v1alpha1.DataSource) (contract.Segment, error) {
	cfg, err := Segment(&seg.Spec)
	if err != nil {
		return contract.Segment{}, err
	}
	return segmentWith(seg, cfg, ds)
}

func segmentWith(seg *v1alpha1.Segment, cfg metrics.SegmentConfig, ds *v1alpha1.DataSource) (contract.Segment, error) {
	out := contract.Segment{Namespace: seg.Namespace, Name: seg.Name, Config: cfg}
	var err error
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
	LoyaltyPrograms map[string]contract.LoyaltyEndpoint
}

// PlaybookWorker is the campaign worker's spec; journey is specmap.Playbook's
// mapping of pb.
func PlaybookWorker(pb *v1alpha1.Playbook, journey journey.Config, in PlaybookInputs) (contract.Playbook, error) {
	out := contract.Playbook{Namespace: pb.Namespace, Name: pb.Name, Journey: journey, Replicas: 1,
		Channels: map[string]contract.Channel{}, LoyaltyPrograms: in.LoyaltyPrograms}
	var err error
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
func WorkerChannel(spec *v1alpha1.ChannelSpec) (contract.Channel, error) {
	sender, err := Channel(spec)
	if err != nil {
		return contract.Channel{}, err
	}
	prefs, err := Preferences(spec)
	if err != nil {
		return contract.Channel{}, err
	}
	return contract.Channel{Sender: sender, Kind: ChannelKind(spec), Preferences: prefs}, nil
}

// LoyaltyWorker is the loyalty API's and its metrics job's spec; program is
// specmap.Loyalty's mapping of lp.
func LoyaltyWorker(lp *v1alpha1.LoyaltyProgram, program loyalty.Config, ds *v1alpha1.DataSource) (contract.Loyalty, error) {
	out := contract.Loyalty{Namespace: lp.Namespace, Name: lp.Name, Program: program,
		APITokenKey: lp.Spec.APITokenSecretRef.Key}
	if ref := lp.Spec.AdminTokenSecretRef; ref != nil {
		out.AdminTokenKey = ref.Key
	}
	var err error
	if out.DataSource, err = DataSource(ds.Namespace, ds.Name, &ds.Spec); err != nil {
		return out, fmt.Errorf("datasource %q: %w", ds.Name, err)
	}
	return out, nil
}

package cmd

import (
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// The tests write their objects as users do, in the API's terms, and render
// the worker spec from them with the controllers' own mappings (specmap):
// what a worker under test reads is what a controller would have mounted.

// apiSegment is a Segment with its DataSource (and LoyaltyProgram).
type apiSegment struct {
	Namespace, Name string
	Spec            v1alpha1.SegmentSpec
	DataSource      v1alpha1.DataSourceSpec
	LoyaltyProgram  *v1alpha1.LoyaltyProgramSpec
}

// apiPlaybook is a Playbook with the objects it references.
type apiPlaybook struct {
	Namespace, Name string
	Spec            v1alpha1.PlaybookSpec
	Segment         apiSegment
	Channels        map[string]v1alpha1.ChannelSpec
	LoyaltyPrograms map[string]contract.LoyaltyEndpoint
}

// apiLoyalty is a LoyaltyProgram with its DataSource.
type apiLoyalty struct {
	Namespace, Name string
	Spec            v1alpha1.LoyaltyProgramSpec
	DataSource      v1alpha1.DataSourceSpec
}

// apiPreferences is a Channel with spec.preferences.
type apiPreferences struct {
	Namespace, Name string
	Spec            v1alpha1.ChannelSpec
}

func (s apiSegment) objects() (*v1alpha1.Segment, *v1alpha1.DataSource) {
	seg := &v1alpha1.Segment{Spec: s.Spec}
	seg.Namespace, seg.Name = s.Namespace, s.Name
	ds := &v1alpha1.DataSource{Spec: s.DataSource}
	ds.Namespace, ds.Name = s.Namespace, s.Spec.DataSourceRef.Name
	return seg, ds
}

func (s apiSegment) render(t testing.TB) contract.Segment {
	t.Helper()
	seg, ds := s.objects()
	cfg, err := specmap.Segment(&seg.Spec)
	failOn(t, "segment "+s.Name, err)
	var lp *v1alpha1.LoyaltyProgram
	if s.LoyaltyProgram != nil {
		lp = &v1alpha1.LoyaltyProgram{Spec: *s.LoyaltyProgram}
		lp.Name = "program"
		if ref := s.Spec.LoyaltyProgramRef; ref != nil {
			lp.Name = ref.Name
		}
	}
	out, err := specmap.SegmentWorker(seg, cfg, ds, lp)
	failOn(t, "segment "+s.Name, err)
	return out
}

func (p apiPlaybook) render(t testing.TB) contract.Playbook {
	t.Helper()
	seg, ds := p.Segment.objects()
	pb := &v1alpha1.Playbook{Spec: p.Spec}
	pb.Namespace, pb.Name = p.Namespace, p.Name
	cfg, err := specmap.Playbook(pb.Namespace, pb.Name, &pb.Spec)
	failOn(t, "playbook "+p.Name, err)
	in := specmap.PlaybookInputs{Segment: seg, DataSource: ds, Channels: map[string]*v1alpha1.Channel{},
		LoyaltyPrograms: p.LoyaltyPrograms}
	for name, spec := range p.Channels {
		ch := &v1alpha1.Channel{Spec: spec}
		ch.Namespace, ch.Name = p.Namespace, name
		in.Channels[name] = ch
	}
	out, err := specmap.PlaybookWorker(pb, cfg, in)
	failOn(t, "playbook "+p.Name, err)
	return out
}

func (l apiLoyalty) render(t testing.TB) contract.Loyalty {
	t.Helper()
	lp := &v1alpha1.LoyaltyProgram{Spec: l.Spec}
	lp.Namespace, lp.Name = l.Namespace, l.Name
	ds := &v1alpha1.DataSource{Spec: l.DataSource}
	ds.Namespace, ds.Name = l.Namespace, l.Spec.DataSourceRef.Name
	prog, err := specmap.Loyalty(&lp.Spec)
	failOn(t, "loyalty program "+l.Name, err)
	out, err := specmap.LoyaltyWorker(lp, prog, ds)
	failOn(t, "loyalty program "+l.Name, err)
	return out
}

func (c apiPreferences) render(t testing.TB) contract.Preferences {
	t.Helper()
	prefs, err := specmap.Preferences(&c.Spec)
	if err != nil || prefs == nil {
		t.Fatalf("channel %s preferences: %v (set: %v)", c.Name, err, prefs != nil)
	}
	return contract.Preferences{Namespace: c.Namespace, Name: c.Name, Preferences: *prefs}
}

// failOn fails t when rendering what returned err.
func failOn(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// workerSpec renders an api* object into the worker spec a controller would
// mount; anything else is taken as a worker spec already.
func workerSpec(t testing.TB, v any) any {
	t.Helper()
	switch o := v.(type) {
	case apiSegment:
		v = o.render(t)
	case apiPlaybook:
		v = o.render(t)
	case apiLoyalty:
		v = o.render(t)
	case apiPreferences:
		v = o.render(t)
	}
	return v
}

// workerChannels maps Channel specs as the Playbook controller renders them.
func workerChannels(t testing.TB, specs map[string]v1alpha1.ChannelSpec) map[string]contract.Channel {
	t.Helper()
	out := map[string]contract.Channel{}
	for name, spec := range specs {
		ch, err := specmap.WorkerChannel(&spec)
		failOn(t, "channel "+name, err)
		out[name] = ch
	}
	return out
}

package specmap

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// The engine configuration is the contract between controller and worker:
// the controller renders what these mappings return as JSON
// (contract.Render) and the worker decodes it (contract.Load). Every
// shipped sample must come back from that round trip exactly as mapped, so
// a field added to an engine config reaches the worker with no code in
// between.
func TestEngineConfigsRoundTripThroughTheWorkerSpec(t *testing.T) {
	docs := sampleDocs(t)
	counts := map[string]int{}
	for _, d := range docs {
		_, mapped, err := mapDoc(t, d)
		if mapped == nil {
			continue // not one of the five kinds
		}
		if err != nil {
			t.Errorf("%s %s: %v", d.kind, d.file, err)
			continue
		}
		counts[d.kind]++
		assertRoundTrip(t, d.kind+" in "+d.file, mapped)
	}
	for _, kind := range []string{"Playbook", "Segment", "LoyaltyProgram", "Channel", "DataSource"} {
		if counts[kind] == 0 {
			t.Errorf("no %s among the samples: the round trip checked nothing for it", kind)
		}
	}
	t.Logf("round-tripped %v", counts)
	if counts["Playbook"] < 3 {
		t.Errorf("%d Playbook samples, want at least 3", counts["Playbook"])
	}
}

// mapDoc decodes a fixture object and maps it with its kind's mapping, as
// its controller does; mapped is nil for other kinds.
func mapDoc(t *testing.T, d sampleDoc) (meta metav1.ObjectMeta, mapped any, err error) {
	t.Helper()
	// Each decodes the whole document strictly, as its kind, and maps its
	// spec; the engines that key on the object take meta's namespace/name.
	mappers := map[string]func() (any, error){
		"Playbook": func() (any, error) {
			return Playbook(meta.Namespace, meta.Name, &decoded[v1alpha1.Playbook](t, d).Spec)
		},
		"Segment":        func() (any, error) { return Segment(&decoded[v1alpha1.Segment](t, d).Spec) },
		"LoyaltyProgram": func() (any, error) { return Loyalty(&decoded[v1alpha1.LoyaltyProgram](t, d).Spec) },
		"Channel":        func() (any, error) { return WorkerChannel(&decoded[v1alpha1.Channel](t, d).Spec) },
		"DataSource": func() (any, error) {
			return DataSource(meta.Namespace, meta.Name, &decoded[v1alpha1.DataSource](t, d).Spec)
		},
	}
	mapper, ok := mappers[d.kind]
	if !ok {
		return meta, nil, nil
	}
	var head struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(d.raw, &head); err != nil {
		t.Fatalf("%s %s: %v", d.kind, d.file, err)
	}
	meta = head.Metadata
	mapped, err = mapper()
	return meta, mapped, err
}

// A whole campaign worker spec, references included, round-trips too.
func TestPlaybookWorkerSpecRoundTrips(t *testing.T) {
	pb := &v1alpha1.Playbook{Spec: v1alpha1.PlaybookSpec{
		SegmentRef: v1alpha1.LocalObjectReference{Name: "buyers"},
		Trigger:    v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{InitialMembers: "Skip"}},
		Steps: []v1alpha1.Step{{Name: "hello", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "mail"},
			Template: v1alpha1.MessageTemplate{Subject: "Hi", Body: "Hello {{.Customer.ID}}"}}}},
	}}
	pb.Namespace, pb.Name = "shop", "welcome"
	seg := &v1alpha1.Segment{Spec: v1alpha1.SegmentSpec{Criteria: "customer.frequency >= 1", Window: "30d",
		Metrics: []v1alpha1.MetricName{"nps"}, LoyaltyProgramRef: &v1alpha1.LocalObjectReference{Name: "rewards"}}}
	seg.Namespace, seg.Name = "shop", "buyers"
	ds := &v1alpha1.DataSource{Spec: v1alpha1.DataSourceSpec{Postgres: &v1alpha1.PostgresSource{
		DSNSecretRef: v1alpha1.SecretKeySelector{Name: "db", Key: "dsn"}}, Ingest: &v1alpha1.IngestSpec{}}}
	ds.Namespace, ds.Name = "shop", "db"
	mail := &v1alpha1.Channel{Spec: v1alpha1.ChannelSpec{SMTP: &v1alpha1.SMTPChannel{Host: "relay", Port: 587,
		From: "Shop <news@shop.example>"}, RateLimit: &v1alpha1.RateLimit{PerSecond: 5},
		Preferences: &v1alpha1.Preferences{PublicURL: "https://prefs.shop.example",
			SigningKeyRef: v1alpha1.SecretKeySelector{Name: "prefs", Key: "key"}}}}
	cfg, err := Playbook(pb.Namespace, pb.Name, &pb.Spec)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := PlaybookWorker(pb, cfg, PlaybookInputs{Segment: seg, DataSource: ds, Channels: map[string]*v1alpha1.Channel{"mail": mail},
		LoyaltyPrograms: map[string]contract.LoyaltyEndpoint{"rewards": {URL: "http://rewards", TokenKey: "admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if spec.InitialMembers != "Skip" || spec.Segment.LoyaltyProgram != "rewards" || !spec.Segment.DataSource.Ingest ||
		spec.Channels["mail"].Preferences == nil || spec.Channels["mail"].Kind != journey.KindEmail {
		t.Fatalf("worker spec lost a reference: %+v", spec)
	}
	assertRoundTrip(t, "campaign worker spec", spec)
}

// The engine configurations hold plain data only: JSON drops unexported
// fields silently and cannot carry functions, channels or interfaces, so
// such a field would reach the worker empty.
func TestEngineConfigsHoldPlainData(t *testing.T) {
	for _, v := range []any{contract.Playbook{}, contract.Segment{}, contract.Loyalty{}, contract.Preferences{}} {
		checkPlain(t, reflect.TypeOf(v), reflect.TypeOf(v).String(), map[reflect.Type]bool{})
	}
}

// jsonCodec is a type that marshals and unmarshals itself.
var jsonCodec = reflect.TypeFor[interface {
	json.Marshaler
	json.Unmarshaler
}]()

func checkPlain(t *testing.T, typ reflect.Type, path string, seen map[reflect.Type]bool) {
	t.Helper()
	if seen[typ] {
		return
	}
	seen[typ] = true
	if typ.Implements(jsonCodec) || reflect.PointerTo(typ).Implements(jsonCodec) {
		return // encodes itself (time.Time as RFC 3339)
	}
	switch typ.Kind() {
	case reflect.Struct:
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Tag.Get("json") == "-" {
				continue // not part of the contract (a sender's console writer)
			}
			if !f.IsExported() {
				t.Errorf("%s.%s is unexported: it would not reach the worker", path, f.Name)
				continue
			}
			checkPlain(t, f.Type, path+"."+f.Name, seen)
		}
	case reflect.Pointer, reflect.Slice, reflect.Array:
		checkPlain(t, typ.Elem(), path+"[]", seen)
	case reflect.Map:
		checkPlain(t, typ.Key(), path+"{key}", seen)
		checkPlain(t, typ.Elem(), path+"{}", seen)
	case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		t.Errorf("%s is a %s: JSON cannot carry it to the worker", path, typ.Kind())
	}
}

// assertRoundTrip renders v as the controller does and decodes it as the
// worker does, into a value of the same type.
func assertRoundTrip(t *testing.T, what string, v any) {
	t.Helper()
	data, err := contract.Render(v)
	if err != nil {
		t.Fatalf("%s: render: %v", what, err)
	}
	path := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(path, []byte(data["spec.json"]), 0o600); err != nil {
		t.Fatal(err)
	}
	back := reflect.New(reflect.TypeOf(v))
	if err := contract.Load(path, back.Interface()); err != nil {
		t.Fatalf("%s: load: %v", what, err)
	}
	if got := back.Elem().Interface(); !reflect.DeepEqual(got, v) {
		t.Errorf("%s changed in the round trip:\nmapped  %+v\ndecoded %+v", what, v, got)
	}
}

type sampleDoc struct {
	file, kind string
	raw        []byte
}

// sampleDocs reads every retention.dev object under config/samples.
func sampleDocs(t *testing.T) []sampleDoc {
	t.Helper()
	var docs []sampleDoc
	err := filepath.WalkDir("../../config/samples", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		more, err := readDocs(path)
		docs = append(docs, more...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// docsOf reads the retention.dev objects of one file.
func docsOf(t *testing.T, path string) []sampleDoc {
	t.Helper()
	docs, err := readDocs(path)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func readDocs(path string) ([]sampleDoc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var docs []sampleDoc
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, err
		}
		if gv, _ := schema.ParseGroupVersion(head.APIVersion); gv.Group == v1alpha1.GroupVersion.Group {
			docs = append(docs, sampleDoc{file: path, kind: head.Kind, raw: doc})
		}
	}
}

// decoded is d decoded strictly into a new T.
func decoded[T any](t *testing.T, d sampleDoc) *T {
	t.Helper()
	into := new(T)
	if err := yaml.UnmarshalStrict(d.raw, into); err != nil {
		t.Fatalf("%s %s: %v", d.kind, d.file, err)
	}
	return into
}

package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// Every field the stored JSON holds moves the digest, so a change to any one
// of them alone is written. A field added to customer.Features or
// clv.ScoreInputs fails this test until timelessDigest covers it (or it is
// listed here as derived at read).
func TestTimelessDigestCoversEveryField(t *testing.T) {
	derived := map[string]bool{"RecencyDays": true, "TenureDays": true}
	scored := map[string]bool{"ChurnProbability": true, "PredictedCLV": true} // not stored with a score
	base := func() (customer.Features, clv.ScoreInputs) {
		return customer.Features{ID: "c1", Attributes: map[string]string{"plan": "pro"}},
			clv.ScoreInputs{Days: 2, FirstDay: 100, LastDay: 120, RepeatSpend: 10}
	}
	digestOf := func(f customer.Features, s *clv.ScoreInputs) [16]byte {
		d, _ := timelessDigest(nil, &f, s)
		return d
	}
	// change sets the field at v to a value other than its zero (or base) value.
	change := func(t *testing.T, name string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int, reflect.Int32, reflect.Int64:
			v.SetInt(v.Int() + 3)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Map:
			v.Set(reflect.ValueOf(map[string]string{"plan": "basic"}))
		case reflect.Struct:
			switch x := v.Addr().Interface().(type) {
			case *time.Time:
				*x = x.Add(time.Second)
			default:
				t.Fatalf("field %s: no way to change a %s here; teach the test and timelessDigest", name, v.Type())
			}
		default:
			t.Fatalf("field %s: no way to change a %s here; teach the test and timelessDigest", name, v.Type())
		}
	}
	f0, s0 := base()
	for _, withScore := range []bool{false, true} {
		var sp *clv.ScoreInputs
		if withScore {
			sp = &s0
		}
		want := digestOf(f0, sp)
		ft := reflect.TypeFor[customer.Features]()
		for i := range ft.NumField() {
			name := ft.Field(i).Name
			f, _ := base()
			change(t, name, reflect.ValueOf(&f).Elem().Field(i))
			same := digestOf(f, sp) == want
			switch {
			case derived[name] || (withScore && scored[name]):
				if !same {
					t.Errorf("Features.%s is derived when read; it must not move the digest", name)
				}
			case same:
				t.Errorf("Features.%s (score %t) does not move the digest", name, withScore)
			}
		}
		if !withScore {
			continue
		}
		st := reflect.TypeFor[clv.ScoreInputs]()
		for i := range st.NumField() {
			_, s := base()
			change(t, st.Field(i).Name, reflect.ValueOf(&s).Elem().Field(i))
			if digestOf(f0, &s) == want {
				t.Errorf("ScoreInputs.%s does not move the digest", st.Field(i).Name)
			}
		}
	}
	// Each JSON difference that is not a value: null against {} attributes,
	// the same instant in another offset, a score against none.
	f, _ := base()
	g := f
	g.Attributes = map[string]string{}
	h := f
	h.Attributes = nil
	at := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	u, v := f, f
	u.LastOrderAt, v.LastOrderAt = at, at.In(time.FixedZone("x", 3600))
	if digestOf(g, nil) == digestOf(h, nil) || digestOf(u, nil) == digestOf(v, nil) || digestOf(f, nil) == digestOf(f, &s0) {
		t.Fatal("null and {} attributes, two offsets of one instant, or a score and none give one digest")
	}
}

package memtune

import "testing"

func TestSoftLimitIsAShareOfTheContainers(t *testing.T) {
	for in, want := range map[string]int64{
		"1073741824": 912680530, // 1 GiB, the workers' default: 85 %
		"134217728":  114085045, // 128 MiB
		"":           0,         // no downward API (a local run)
		"0":          0,
		"-5":         0,
		"1Gi":        0, // the downward API gives bytes; anything else is not trusted
	} {
		if got := softLimit(in); got != want {
			t.Errorf("softLimit(%q) = %d, want %d", in, got, want)
		}
	}
}

// GOMEMLIMIT, when set, is left alone.
func TestFollowLimitLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "300MiB")
	if got := FollowLimit("1073741824"); got != 0 {
		t.Errorf("FollowLimit set %d with GOMEMLIMIT set", got)
	}
}

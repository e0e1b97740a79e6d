package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// seedJourneys writes four journeys of shop/winback and one of another
// playbook through the store's own write path (JourneyTx), as the campaign
// worker does.
func seedJourneys(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateJourney(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	states := []journey.State{
		{CustomerID: "c-1", Enrolment: 1, Step: 1, StepName: "pause", Status: journey.Active, Waiting: true, EnteredAt: at, DueAt: at.Add(72 * time.Hour), Sends: 1},
		{CustomerID: "c-2", Enrolment: 1, Step: 1, StepName: "pause", Status: journey.Active, Waiting: true, Holdout: true, EnteredAt: at.Add(time.Hour), DueAt: at.Add(24 * time.Hour)},
		{CustomerID: "c-3", Enrolment: 2, Step: 0, StepName: "mail", Status: journey.Active, EnteredAt: at.Add(2 * time.Hour), DueAt: at.Add(2 * time.Hour)},
		{CustomerID: "c-4", Enrolment: 1, Step: 3, StepName: "done", Status: journey.Exited, EnteredAt: at, Converted: true, ConvertedAt: at.Add(48 * time.Hour), FinishedAt: at.Add(48 * time.Hour), Sends: 2},
	}
	put := func(playbook string, sts []journey.State) {
		ids := make([]string, len(sts))
		for i, s := range sts {
			ids[i] = s.CustomerID
		}
		if err := db.JourneyTx(ctx, "shop", playbook, ids, at, func(map[string]int) (*store.JourneyBatch, error) {
			return &store.JourneyBatch{States: sts}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("shop/winback", states)
	put("other/winback", []journey.State{{CustomerID: "x-9", StepName: "mail", Status: journey.Active, EnteredAt: at}})
}

func testJourneyMembers(t *testing.T, url string) {
	seedJourneys(t, url)
	out, _, err := runCLI(t, "journey", "members", "winback", "-n", "shop", "--state-store", url)
	if err != nil {
		t.Fatal(err)
	}
	// Active only, earliest next action first: c-3 (due 11:00 day 1), c-2 (day 2), c-1 (day 4).
	want := `CUSTOMER  STEP   STATUS            ENTERED AT            NEXT ACTION AT        SENDS
c-3       mail   active            2026-03-01T11:00:00Z  2026-03-01T11:00:00Z  0
c-2       pause  active (holdout)  2026-03-01T10:00:00Z  2026-03-02T09:00:00Z  0
c-1       pause  active            2026-03-01T09:00:00Z  2026-03-04T09:00:00Z  1
`
	if out != want {
		t.Errorf("members:\n%s\nwant:\n%s", out, want)
	}
	out, _, err = runCLI(t, "journey", "members", "winback", "-n", "shop", "--state-store", url, "--step", "pause", "--all", "-o", "json")
	var ms []member
	decodeOutput(t, out, err, &ms)
	if len(ms) != 2 || ms[0].CustomerID != "c-2" || ms[1].CustomerID != "c-1" || !ms[0].Holdout {
		t.Errorf("--step pause: %+v", ms)
	}
	out, _, err = runCLI(t, "journey", "members", "winback", "-n", "shop", "--state-store", url, "--all", "--step", "done")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "c-4       done  exited (converted)  2026-03-01T09:00:00Z  -               2") {
		t.Errorf("--all: %s", out)
	}
}

func TestJourneyMembersSQLite(t *testing.T) {
	testJourneyMembers(t, "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
}

func TestJourneyMembersPostgres(t *testing.T) {
	testJourneyMembers(t, testdb.Postgres(t))
}

func TestJourneyMembersErrors(t *testing.T) {
	t.Setenv("RETENTION_STATE_STORE", "")
	if _, _, err := runCLI(t, "journey", "members", "winback", "-n", "shop"); err == nil || !strings.Contains(err.Error(), "--state-store") {
		t.Errorf("no store: %v", err)
	}
	missing := "sqlite:" + filepath.Join(t.TempDir(), "nope.db")
	if _, _, err := runCLI(t, "journey", "members", "winback", "-n", "shop", "--state-store", missing); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

package journey

import "fmt"

// checkCycles refuses a journey whose steps can loop back on themselves
// without a wait step in between (a branch to itself, two branches sending
// each other back and forth): such a loop never lets time pass, so a journey
// in it would spin, or re-send, for ever within one tick. Loops through a
// wait or waitFor are fine: that is a reminder series (a waitFor always
// waits: its event is looked for between ticks, never within one).
func (p *Playbook) checkCycles(bad func(string, string, ...any)) {
	steps := p.Config.Steps
	successors := func(i int) []int {
		s := steps[i]
		next := []int{}
		if i+1 < len(steps) {
			next = append(next, i+1)
		}
		switch {
		case s.Wait != nil, s.WaitFor != nil:
			return nil // time passes here: a loop through it is not instant
		case s.Exit != nil && s.Exit.If == "":
			return nil
		case s.Branch != nil:
			var out []int
			for _, target := range []string{s.Branch.Then, s.Branch.Else} {
				if target == "" {
					out = append(out, next...)
				} else if j, ok := p.index[target]; ok {
					out = append(out, j)
				}
			}
			return out
		}
		return next
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(steps))
	reported := false
	var visit func(i int)
	visit = func(i int) {
		state[i] = onPath
		for _, j := range successors(i) {
			switch state[j] {
			case onPath:
				if !reported {
					reported = true
					bad(fmt.Sprintf("steps[%d].branch", i), "step %q leads back to step %q with no wait step in between, so a journey would loop for ever without time passing; put a wait step inside the loop or branch forward",
						steps[i].Name, steps[j].Name)
				}
			case unseen:
				visit(j)
			}
		}
		state[i] = done
	}
	for i := range steps {
		if state[i] == unseen {
			visit(i)
		}
	}
}

package metrics

// RetentionCounts are the customer counts behind retention and churn for the
// window [start, end) with activity lookback L:
//
//   - Start (S): customers active at start — at least one order in [start-L, start);
//   - End (E): customers active at end — at least one order in [end-L, end);
//   - New (N): customers in E whose first order (over all orders given) lies in
//     [start, end), i.e. acquired during the window;
//   - Lost: customers in S who are not in E.
//
// E - N therefore counts customers acquired before the window who are active
// at its end: those retained from S plus any reactivated (inactive at start,
// active again at end).
type RetentionCounts struct {
	Start, End, New, Lost int
}

// RetentionRate is the customer retention rate in percent:
//
//	retention = (E - N) / S · 100
//
// with E, N, S as in RetentionCounts. ok is false when S = 0 (no customer was
// active at the start, so there is nobody to retain). Because E - N includes
// reactivated customers the rate can exceed 100 in a win-back period.
func RetentionRate(c RetentionCounts) (rate float64, ok bool) {
	if c.Start == 0 {
		return 0, false
	}
	return float64(c.End-c.New) / float64(c.Start) * 100, true
}

// ChurnRate is the customer churn rate in percent:
//
//	churn = Lost / S · 100
//
// the share of customers active at the start who are not active at the end.
// It equals 100 - RetentionRate when nobody reactivated, and unlike
// 100 - retention it stays within 0..100. ok is false when S = 0.
func ChurnRate(c RetentionCounts) (rate float64, ok bool) {
	if c.Start == 0 {
		return 0, false
	}
	return float64(c.Lost) / float64(c.Start) * 100, true
}

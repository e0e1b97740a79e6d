// Package segment compiles segment criteria written in CEL and evaluates them
// over customer feature rows.
//
// The environment declares one variable per customer.Features field under the
// qualified name "customer.<lowerCamel field>" (customer.recencyDays,
// customer.frequency, ...), so a typo such as customer.recncyDays or a type
// error fails when the criteria is compiled, with CEL's message and the
// line:column of the mistake (see *CriteriaError). Declaring the fields as
// individual variables (instead of one map or message) lets the evaluator hand
// CEL each field straight out of the struct: no per-customer map is built.
//
// Playbooks reuse the same environment for branch and exit conditions by
// compiling with WithJourney, which adds journey.step, journey.enteredAt,
// journey.sends, journey.converted and journey.daysInJourney.
//
// ToSQL translates the simple criteria (comparisons, &&, ||, !, literals, `in`
// lists over customer fields) into a SQL WHERE clause so the data source can
// filter in the database. The translation is exact only because the feature
// columns are never NULL (the connector COALESCEs every column); with NULLs,
// SQL's three-valued logic would make NOT (x > 1) drop rows that CEL keeps.
//
// Cost: every expression is bounded by MaxCost per customer (cost.go), as
// Kubernetes bounds its own CEL. Compile refuses an expression whose
// estimated worst case exceeds it (the estimate assumes the size hints in
// cost.go for attributes and strings), and evaluation stops at the same
// limit, so data larger than the hints cannot run away either.
//
// Speed: criteria inside that same subset are also evaluated without the CEL
// interpreter, by a closure tree that reads the struct fields directly (zero
// allocations, no boxing); everything else runs in cel-go with
// cel.OptOptimize over a pooled activation that switches on the variable
// name. Both paths give the same answers (TestFastPathAgreesWithInterpreter).
package segment

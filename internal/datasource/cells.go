package datasource

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxShownCell bounds a value quoted in an error: amounts, timestamps and
// scores are short, and anything longer is more likely a misplaced free-text
// field than a typo worth showing.
const maxShownCell = 40

// cell quotes a value from a data file for an error message, or describes it
// without its content when it may be customer data: it contains an @ (an
// email address), looks like a phone number, is long, or holds control bytes
// or invalid UTF-8. Errors reach the Segment's status and Events, which
// tenants without access to the data can read.
//
// Values of the customers file (emails, phones, names, consent flags) never
// go through here: their errors name the column and line only (see
// parseCustomerFields).
func cell(v string) string {
	if !shownCell(v) {
		return withheld(v)
	}
	return strconv.Quote(v)
}

// withheld describes a value without showing it.
func withheld(v string) string {
	return fmt.Sprintf("(a %d-byte value, not shown)", len(v))
}

func shownCell(v string) bool {
	if len(v) > maxShownCell || !utf8.ValidString(v) || strings.Contains(v, "@") {
		return false
	}
	digits := 0
	for _, r := range v {
		if unicode.IsControl(r) {
			return false
		}
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	// A phone number: a leading + with digits, or seven or more digits with
	// no decimal point or date/time punctuation in between.
	if strings.HasPrefix(v, "+") && digits >= 7 {
		return false
	}
	if digits >= 7 && !strings.ContainsAny(v, ".:eET") && strings.ContainsAny(v, " ()") {
		return false
	}
	return true
}

// cellList quotes each name with cell, for "the header has ..." messages.
func cellList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if shownCell(n) {
			out[i] = n
		} else {
			out[i] = withheld(n)
		}
	}
	return strings.Join(out, ",")
}

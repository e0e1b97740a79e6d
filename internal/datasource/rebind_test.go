package datasource

import "testing"

func TestRebindSQLite(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"recencyDays" > $1 AND "frequency" >= $2`, `"recencyDays" > ?1 AND "frequency" >= ?2`},
		{`json_extract("attributes", '$.plan') = $1`, `json_extract("attributes", '$.plan') = ?1`},
		{`x = 'it''s $1' AND y = $12`, `x = 'it''s $1' AND y = ?12`},
		{`"a$1" = $3`, `"a$1" = ?3`},
		{`price = $`, `price = $`},
	}
	for _, tt := range tests {
		if got := rebindSQLite(tt.in); got != tt.want {
			t.Errorf("rebindSQLite(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package channel_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
)

// A webhook receiver checks every request before trusting it: read the exact
// body bytes, verify X-Retention-Signature with the shared secret and a
// tolerance of a few minutes, then de-duplicate on Idempotency-Key.
func ExampleVerifySignature() {
	secret := []byte("whsec_shared")
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if err := channel.VerifySignature(secret, r.Header.Get(channel.SignatureHeader), body, 5*time.Minute, time.Now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized) // 401: the sender will not retry
			return
		}
		// ... look up r.Header.Get(channel.IdempotencyHeader); if seen, answer 200 without acting.
		w.WriteHeader(http.StatusNoContent)
	}
	_ = handler

	// What the sender computes, for a fixed time and body:
	body := []byte(`{"a":1}`)
	header := channel.Sign([]byte("whsec_test"), time.Unix(1700000000, 0), body)
	fmt.Println(header)
	fmt.Println(channel.VerifySignature([]byte("whsec_test"), header, body, 5*time.Minute, time.Unix(1700000060, 0)))
	// Output:
	// t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789
	// <nil>
}

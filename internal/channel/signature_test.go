package channel

import (
	"errors"
	"testing"
	"time"
)

func TestSignKnownVector(t *testing.T) {
	// Hand-checked with:
	//   printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
	got := Sign([]byte("whsec_test"), time.Unix(1700000000, 0), []byte(`{"a":1}`))
	want := "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"idempotency_key":"k","to":"a@example.com"}`)
	signedAt := time.Unix(1700000000, 0)
	header := Sign(secret, signedAt, body)
	rotated := header + ",v1=" + "00" // an extra (old-secret) v1 still verifies
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{name: "valid", secret: secret, header: header, body: body, now: signedAt.Add(10 * time.Second)},
		{name: "valid with rotated extra v1", secret: secret, header: rotated, body: body, now: signedAt},
		{name: "tampered body", secret: secret, header: header, body: []byte(`{"idempotency_key":"k","to":"b@example.com"}`), now: signedAt, want: ErrSignatureMismatch},
		{name: "wrong secret", secret: []byte("other"), header: header, body: body, now: signedAt, want: ErrSignatureMismatch},
		{name: "too old", secret: secret, header: header, body: body, now: signedAt.Add(6 * time.Minute), want: ErrSignatureExpired},
		{name: "too far in future", secret: secret, header: header, body: body, now: signedAt.Add(-6 * time.Minute), want: ErrSignatureExpired},
		{name: "no t", secret: secret, header: "v1=abcd", body: body, now: signedAt, want: ErrSignatureMalformed},
		{name: "no v1", secret: secret, header: "t=1700000000", body: body, now: signedAt, want: ErrSignatureMalformed},
		{name: "v1 not hex", secret: secret, header: "t=1700000000,v1=zz", body: body, now: signedAt, want: ErrSignatureMalformed},
		{name: "garbage", secret: secret, header: "hello", body: body, now: signedAt, want: ErrSignatureMalformed},
		{name: "timestamp changed", secret: secret, header: "t=1700000001," + header[len("t=1700000000,"):], body: body, now: signedAt, want: ErrSignatureMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.secret, tc.header, tc.body, 5*time.Minute, tc.now)
			if tc.want == nil && err != nil {
				t.Fatalf("VerifySignature: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("VerifySignature err = %v, want %v", err, tc.want)
			}
		})
	}
}

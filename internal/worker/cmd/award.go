package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// loyaltyAwarder credits awardPoints steps through each program's loyalty API:
//
//	POST {url}/v1/members/{id}/adjustments  {"points": n, "reason": ...}
//	Authorization: Bearer <token>, Idempotency-Key: <the delivery key>
//
// The ledger credits once per Idempotency-Key, so the campaign worker's
// resends after a crash or a transient failure never credit twice.
type loyaltyAwarder struct {
	programs map[string]contract.LoyaltyEndpoint
	// reason is recorded in the ledger with an award whose step sets no
	// spec.steps[].awardPoints.reason; it names the playbook.
	reason string
	// secrets returns the Secret source mounted for a program
	// (workload.SecretsDir/loyalty/<program>); the token is re-read per call
	// so a rotated Secret takes effect without a restart.
	secrets func(program string) channel.SecretSource
	client  *http.Client
}

func newLoyaltyAwarder(playbook string, programs map[string]contract.LoyaltyEndpoint, paths workload.Paths) *loyaltyAwarder {
	return &loyaltyAwarder{
		programs: programs,
		reason:   "awardPoints step of playbook " + playbook,
		secrets: func(program string) channel.SecretSource {
			return channel.DirSecrets(paths.Secrets(contract.LoyaltyTokensDir, program))
		},
		client: &http.Client{Timeout: 15 * time.Second},
	}
}

// Award implements campaign.AwardFunc. Errors are classified like channel
// errors: permanent when the API refused the request itself (4xx other than
// 408 and 429, or a missing program or token), transient otherwise, so the
// worker marks the delivery failed or resends it with the same key.
func (a *loyaltyAwarder) Award(ctx context.Context, program, customerID string, points int64, reason, key string) error {
	ep, ok := a.programs[program]
	if !ok {
		return &channel.Error{Channel: "loyalty", Permanent: true,
			Err: fmt.Errorf("loyalty program %q is not in the worker spec; the controller lists every program an awardPoints step names", program)}
	}
	tok, err := a.secrets(program).Secret(ep.TokenKey)
	if err != nil {
		return &channel.Error{Channel: "loyalty", Permanent: true, Err: fmt.Errorf("program %s API token: %w", program, err)}
	}
	if reason == "" {
		reason = a.reason
	}
	body, err := json.Marshal(map[string]any{"points": points, "reason": reason})
	if err != nil {
		return err
	}
	u := strings.TrimSuffix(ep.URL, "/") + "/v1/members/" + url.PathEscape(customerID) + "/adjustments"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return &channel.Error{Channel: "loyalty", Permanent: true, Err: fmt.Errorf("program %s URL %q: %w", program, ep.URL, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+string(tok))
	req.Header.Set("Idempotency-Key", key)
	resp, err := a.client.Do(req)
	if err != nil {
		// The URL holds the member id; say which program, not which request.
		return &channel.Error{Channel: "loyalty", Err: fmt.Errorf("program %s: request failed: %w", program, unwrapURLError(err))}
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	permanent := resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests
	return &channel.Error{Channel: "loyalty", Permanent: permanent, StatusCode: resp.StatusCode,
		Err: fmt.Errorf("program %s refused the points adjustment", program), Detail: string(detail)}
}

// unwrapURLError drops *url.Error's "POST <url>:" prefix, which names the member.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

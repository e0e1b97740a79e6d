#!/usr/bin/env bash
# Runs the benchmarks recorded in BENCHMARKS.md. The PostgreSQL ones read
# RETENTION_TEST_POSTGRES_DSN (and RETENTION_BENCH_POSTGRES_DSN for the
# 1M-customer data set loaded by hack/bench-features.sh) and skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
export RETENTION_TEST_POSTGRES_DSN="${RETENTION_TEST_POSTGRES_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
run() { echo "\$ go test $*"; go test "$@"; }
run -run '^$' -bench 'MatchesTypical|MatchesMapBaseline' -cpu 1 -benchtime 1s -count 3 ./internal/segment/
run -run '^$' -bench 'FitBGNBDCDNOWSample|FitGammaGamma' -benchtime 50x -count 3 ./internal/clv/
run -run '^$' -bench 'WebhookSend' -benchtime 1s -count 2 ./internal/channel/
run -run '^$' -bench 'CampaignSendWebhookPostgres' -benchtime 3x -count 3 ./internal/worker/campaign/
run -run '^$' -bench 'RedemptionsPostgres' -benchtime 10000x -count 2 ./internal/worker/loyalty/
if [[ -n "${RETENTION_BENCH_POSTGRES_DSN:-}" ]]; then
  run -run '^$' -bench 'ScanFeaturesPostgres|MetricJobPostgres' -benchtime 1x -benchmem ./internal/datasource/ ./internal/worker/metrics/
else
  echo "(set RETENTION_BENCH_POSTGRES_DSN, or run hack/bench-features.sh, for the 1M-customer benchmarks)"
fi

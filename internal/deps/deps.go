//go:build tools

// Package deps pins the modules the project is built on while packages are
// being written, so every package resolves against one go.sum.
package deps

import (
	_ "cel.dev/cel-go/cel"
	_ "github.com/emersion/go-smtp"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/gomega"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/wneessen/go-mail"
	_ "golang.org/x/time/rate"
	_ "gonum.org/v1/gonum/optimize"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/client-go/kubernetes"
	_ "modernc.org/sqlite"
	_ "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	_ "sigs.k8s.io/controller-runtime"
	_ "sigs.k8s.io/controller-runtime/pkg/envtest"
	_ "sigs.k8s.io/yaml"
)

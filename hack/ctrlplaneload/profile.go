package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// profileAPIServer writes a CPU profile of kube-apiserver over the first
// seconds of the load to path (go tool pprof reads it): where the control
// plane's CPU goes while the manager converges the objects. It runs beside
// the load and reports only its own failure.
func profileAPIServer(ctx context.Context, c *clients, path string, seconds int) <-chan error {
	done := make(chan error, 1)
	go func() {
		data, err := c.kube.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").
			Param("seconds", fmt.Sprint(seconds)).Timeout(time.Duration(seconds+30) * time.Second).DoRaw(ctx)
		if err == nil {
			err = os.WriteFile(path, data, 0o644)
		}
		done <- err
	}()
	return done
}

package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// serveHTTP serves h with timeouts that bound slow clients, and
// shuts down gracefully when ctx ends.
func serveHTTP(ctx context.Context, g *globals, listen string, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	return serve(ctx, g, listen, srv, 10*time.Second, "listening")
}

// serve listens on addr and runs srv until ctx ends; then the requests in
// flight have grace to be answered while new ones are refused. The log line
// msg says where it listens, with logArgs beside the address.
func serve(ctx context.Context, g *globals, addr string, srv *http.Server, grace time.Duration, msg string, logArgs ...any) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	g.logger.Info(msg, append([]any{"addr", l.Addr().String()}, logArgs...)...)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

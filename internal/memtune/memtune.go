// Package memtune sets the garbage collector's headroom for the processes
// whose peak memory matters more than the CPU collecting costs them: the
// manager (mostly idle, its informer caches grow with the objects) and the
// metric job (a batch job that mostly waits on its database), and every
// worker's soft memory limit from its container's (FollowLimit). The
// figures behind each choice are in BENCHMARKS.md.
package memtune

import (
	"os"
	"runtime/debug"
)

// PreferMemory collects garbage once the heap has grown percent over what
// survived the last collection (Go's default is 100), unless the GOGC
// environment variable is set: an operator's own setting wins.
func PreferMemory(percent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

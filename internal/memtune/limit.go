package memtune

import (
	"os"
	"runtime/debug"
	"strconv"
)

// limitShare is the share of the container's memory limit the Go runtime
// aims to stay under: the rest is for what the runtime does not count
// (the executable's mapped pages, about 40 MB for the worker) and for
// the collector's own lag.
const limitShare = 85

// FollowLimit sets the runtime's soft memory limit to limitShare percent of
// containerLimit (bytes, the downward API's limits.memory), unless the
// GOMEMLIMIT environment variable is set: an operator's own setting wins.
// Near the limit the collector then works harder rather than the kernel
// killing the pod; far below it nothing changes. A container without a
// limit is given the node's allocatable memory, which is harmless here. It
// returns the limit set, 0 when none was.
func FollowLimit(containerLimit string) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	soft := softLimit(containerLimit)
	if soft > 0 {
		debug.SetMemoryLimit(soft)
	}
	return soft
}

// softLimit is limitShare percent of a byte count, 0 for anything that is
// not a positive whole number.
func softLimit(containerLimit string) int64 {
	n, err := strconv.ParseInt(containerLimit, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n / 100 * limitShare
}

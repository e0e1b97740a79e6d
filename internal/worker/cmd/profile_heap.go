package cmd

import (
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// heapPeakSample is how often the live heap is read while profiling.
const heapPeakSample = 200 * time.Millisecond

// profileHeapPeak writes a heap profile to <dir>/<command>.heap.pprof each
// time the live heap reaches a new high (by a tenth), so the file left at
// the end shows what was alive at the run's peak rather than at its end,
// which is what a peak-RSS target is about. It runs until stop is closed.
func profileHeapPeak(dir, command string, stop <-chan struct{}) {
	path := filepath.Join(dir, command+".heap.pprof")
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64
	tick := time.NewTicker(heapPeakSample)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		live := sample[0].Value.Uint64()
		if live < peak+peak/10 {
			continue
		}
		peak = live
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
}

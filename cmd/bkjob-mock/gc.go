package main

import (
	"context"
	"runtime/debug"
	"time"
)

// gcHeadroom is the least garbage the collector lets pile up above what the
// mock holds (its history and journal) before it collects.
const gcHeadroom = 128 << 20

// gcPaceEvery is how often paceGC looks at what the mock holds.
const gcPaceEvery = time.Second

// setGCPercent is runtime/debug.SetGCPercent; tests watch it.
var setGCPercent = debug.SetGCPercent

// gcPercent is the GOGC that lets max(gcHeadroom, a quarter of held) of
// garbage pile up above held bytes: Go's default 100 for a small history,
// down to 25 for a large one.
func gcPercent(held int64) int {
	if held <= 0 {
		return 100
	}
	return int(min(100, max(25, 100*gcHeadroom/held)))
}

// paceGC sets GOGC (runtime/debug.SetGCPercent) from what the mock holds,
// looking again every interval until ctx ends, then puts it back. A history
// of hundreds of megabytes (--scale 100) is live for good: with Go's default
// the heap would grow by as much again, into fresh pages, before each
// collection, and the first minute of requests would pay the page faults.
// GOGC, when set, wins.
func paceGC(ctx context.Context, held func() int64, getenv func(string) string, every time.Duration) {
	if getenv("GOGC") != "" {
		return
	}
	prev := setGCPercent(100)
	defer setGCPercent(prev)
	t := time.NewTicker(every)
	defer t.Stop()
	last := 100
	for {
		if p := gcPercent(held()); p != last {
			setGCPercent(p)
			last = p
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

package main

import (
	"math"
	"runtime/debug"
)

// gcPercent is the garbage collector's GOGC while serving: the mock's live
// heap is small (the history and the journal are bounded), so the default
// of 100 would collect many times a second under load for little memory.
const gcPercent = 400

// gcHeadroom is what the soft memory limit allows above the documented bound
// of the history and the journal: connections, buffers, pools.
const gcHeadroom = 64 << 20

// tuneGC sets how often the garbage collector runs while serving, unless
// the environment sets it (GOGC, GOMEMLIMIT): GOGC 400 under a soft memory
// limit of the documented bound plus gcHeadroom, so that the heap grows with
// the configuration (the bound) and never with traffic, and a server whose
// heap is far under its bound collects a quarter as often. restore puts the
// collector back as it was.
func tuneGC(bound int64, getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := int64(math.MaxInt64)
	if bound < math.MaxInt64-gcHeadroom {
		limit = bound + gcHeadroom
	}
	oldLimit := debug.SetMemoryLimit(limit)
	oldPercent := debug.SetGCPercent(gcPercent)
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}

package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTuneGC changes the process's collector: it is not parallel.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	restore := tuneGC(100<<20, func(string) string { return "" })
	assert.Equal(t, int64(100<<20+gcHeadroom), debug.SetMemoryLimit(-1), "the bound and the headroom")
	assert.Equal(t, gcPercent, debug.SetGCPercent(gcPercent))
	restore()
	assert.Equal(t, 100, debug.SetGCPercent(100), "restored")
	assert.Equal(t, limit, debug.SetMemoryLimit(-1))

	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		restore := tuneGC(100<<20, func(k string) string {
			if k == env {
				return "50"
			}
			return ""
		})
		assert.Equal(t, 100, debug.SetGCPercent(100), "%s set: left as the environment says", env)
		assert.Equal(t, limit, debug.SetMemoryLimit(-1))
		restore()
	}
}

package main

import (
	"context"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestGCPercent(t *testing.T) {
	t.Parallel()
	for held, want := range map[int64]int{
		0: 100, 20 << 20: 100, 128 << 20: 100, 256 << 20: 50, 512 << 20: 25, 8 << 30: 25,
	} {
		assert.Equal(t, want, gcPercent(held), "held %d", held)
	}
}

// TestPaceGC replaces setGCPercent: it is not parallel.
func TestPaceGC(t *testing.T) {
	var mu sync.Mutex
	current := 100
	setGCPercent = func(p int) int {
		mu.Lock()
		defer mu.Unlock()
		old := current
		current = p
		return old
	}
	percent := func() int { mu.Lock(); defer mu.Unlock(); return current }
	t.Cleanup(func() { setGCPercent = debug.SetGCPercent })

	current = 90 // as the process had it
	var held atomic.Int64
	held.Store(10 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); paceGC(ctx, held.Load, func(string) string { return "" }, time.Millisecond) }()
	assert.Eventually(t, func() bool { return percent() == 100 }, 10*time.Second, time.Millisecond, "a small history: Go's default")
	held.Store(1 << 30) // a history of --scale 100 generated
	assert.Eventually(t, func() bool { return percent() == 25 }, 10*time.Second, time.Millisecond, "follows what is held")
	cancel()
	<-done
	assert.Equal(t, 90, percent(), "put back")

	paceGC(context.Background(), held.Load, func(k string) string {
		if k == "GOGC" {
			return "70"
		}
		return ""
	}, time.Millisecond) // returns at once: GOGC is the user's
	assert.Equal(t, 90, percent())
}

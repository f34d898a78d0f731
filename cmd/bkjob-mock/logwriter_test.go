package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingWriter counts the writes it gets.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func (c *countingWriter) state() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.writes
}

func TestLogWriterHoldsBackUntilClose(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := newLogWriter(out, time.Hour) // the timer never fires in this test
	for i := range 50 {
		fmt.Fprintf(lw, "line %d\n", i)
	}
	got, writes := out.state()
	assert.Empty(t, got, "held back until the delay, the buffer or Close")
	assert.Zero(t, writes)

	require.NoError(t, lw.Close())
	got, writes = out.state()
	assert.Equal(t, 1, writes, "50 lines, one write")
	assert.Equal(t, 50, strings.Count(got, "\n"))
	assert.True(t, strings.HasPrefix(got, "line 0\nline 1\n"), got)

	fmt.Fprintln(lw, "after close")
	got, _ = out.state()
	assert.True(t, strings.HasSuffix(got, "after close\n"), "written straight through once closed")
}

func TestLogWriterFlushesAfterDelay(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := newLogWriter(out, time.Millisecond)
	t.Cleanup(func() { lw.Close() })
	fmt.Fprintln(lw, "first")
	require.Eventually(t, func() bool { got, _ := out.state(); return got == "first\n" }, 10*time.Second, time.Millisecond,
		"a line held back reaches the output without Close")
	fmt.Fprintln(lw, "second")
	require.Eventually(t, func() bool { got, _ := out.state(); return got == "first\nsecond\n" }, 10*time.Second, time.Millisecond,
		"and so does the next one")
}

func TestLogWriterFullBufferAndOrder(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := newLogWriter(out, time.Hour)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(lw, "w%d %04d %s\n", w, i, strings.Repeat("x", 40))
			}
		})
	}
	wg.Wait()
	_, writes := out.state()
	assert.Positive(t, writes, "a full buffer is written without waiting for the delay")
	require.NoError(t, lw.Close())
	got, writes := out.state()
	all := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	require.Len(t, all, writers*lines, "no line lost")
	assert.Less(t, writes, writers*lines/50, "lines are written in batches")
	next := make([]int, writers)
	for _, l := range all {
		var w, i int
		_, err := fmt.Sscanf(l, "w%d %04d", &w, &i)
		require.NoError(t, err, "a whole line: %q", l)
		require.Equal(t, next[w], i, "each writer's lines in order")
		next[w]++
	}
}

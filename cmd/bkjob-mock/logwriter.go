package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers the request log so that a busy server does not pay a
// write system call per request: what is written reaches the underlying
// writer within the flush delay, when the buffer fills, and on Close. Lines
// keep their order and are never interleaved (slog's handlers write a record
// in one call). It is safe for concurrent use.
type logWriter struct {
	mu        sync.Mutex
	out       io.Writer
	buf       *bufio.Writer
	delay     time.Duration
	scheduled bool // a flush is due within delay
	closed    bool
	timer     *time.Timer
}

// logBufferSize is the most bytes the request log holds back (about a
// hundred lines); logFlushDelay is the longest a line waits.
const (
	logBufferSize = 16 << 10
	logFlushDelay = 100 * time.Millisecond
)

// newLogWriter returns a logWriter over w that flushes delay after the first
// write it holds back.
func newLogWriter(w io.Writer, delay time.Duration) *logWriter {
	lw := &logWriter{out: w, buf: bufio.NewWriterSize(w, logBufferSize), delay: delay}
	lw.timer = time.AfterFunc(time.Hour, lw.flushDue)
	lw.timer.Stop()
	return lw
}

func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.closed {
		return lw.out.Write(p) // after Close: straight through
	}
	n, err := lw.buf.Write(p)
	if lw.buf.Buffered() > 0 && !lw.scheduled {
		lw.scheduled = true
		lw.timer.Reset(lw.delay)
	}
	return n, err
}

// flushDue is the timer's flush.
func (lw *logWriter) flushDue() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.scheduled = false
	lw.buf.Flush()
}

// Close flushes what is held back; later writes go straight through.
func (lw *logWriter) Close() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.timer.Stop()
	lw.closed = true
	lw.scheduled = false
	return lw.buf.Flush()
}

package main

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guard bounds how long a test waits for something that must happen; it is a
// deadlock guard, not a measurement.
const guard = 10 * time.Second

func TestInterruptContext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		signals   []os.Signal
		wantDone  bool // the context ended before stop
		wantExit  int  // -1: exit is never called
		wantPrint string
	}{
		{"no signal", nil, false, -1, ""},
		{"one SIGINT starts the shutdown", []os.Signal{os.Interrupt}, true, -1, ""},
		{"a second SIGINT exits at once", []os.Signal{os.Interrupt, os.Interrupt}, true, 130, "bkjob-mock: interrupt again, exiting without waiting\n"},
		{"a second SIGTERM exits at once", []os.Signal{syscall.SIGTERM, syscall.SIGTERM}, true, 143, "terminated again"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sigs := make(chan os.Signal, len(tt.signals))
			exited := make(chan int, 1)
			var stderr bytes.Buffer
			ctx, stop := interruptContext(context.Background(), sigs, &stderr, func(code int) { exited <- code })
			for _, s := range tt.signals {
				sigs <- s
			}
			if tt.wantDone {
				select {
				case <-ctx.Done():
				case <-time.After(guard):
					t.Fatal("the first signal did not end the context")
				}
			}
			if tt.wantExit >= 0 {
				select {
				case code := <-exited:
					assert.Equal(t, tt.wantExit, code)
				case <-time.After(guard):
					t.Fatal("the second signal did not exit")
				}
			}
			stop() // returns once the watcher has stopped: exit can no longer be called
			assert.Error(t, ctx.Err(), "stop ends the context")
			if tt.wantExit < 0 {
				assert.Empty(t, exited, "exit called")
			}
			assert.Contains(t, stderr.String(), tt.wantPrint)
			if tt.wantPrint == "" {
				assert.Empty(t, stderr.String())
			}
			require.NotPanics(t, stop, "stop twice")
		})
	}
}

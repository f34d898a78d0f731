//go:build unix

package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInterruptContextRealSignals wires interruptContext as main does and
// sends the process two real SIGINTs.
func TestInterruptContextRealSignals(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	exited := make(chan int, 1)
	ctx, stop := interruptContext(context.Background(), sigs, io.Discard, func(code int) { exited <- code })
	defer stop()

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case <-ctx.Done():
	case <-time.After(guard):
		t.Fatal("SIGINT did not end the context")
	}
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case code := <-exited:
		assert.Equal(t, 130, code)
	case <-time.After(guard):
		t.Fatal("a second SIGINT did not exit")
	}
}

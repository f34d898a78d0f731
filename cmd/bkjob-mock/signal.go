package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// interruptContext returns a context that ends at the first signal received on
// sigs, so that the program can shut down gracefully. A second signal does not
// wait for that: it prints a line to stderr and calls exit at once with 128 plus
// the signal's number (130 for SIGINT), as a shell reports a killed process.
// stop cancels the context and stops watching sigs; it returns once the
// watching has stopped, and a signal after it is ignored.
func interruptContext(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(code int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "bkjob-mock: %v again, exiting without waiting\n", sig)
			exit(signalExitCode(sig))
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			cancel()
			close(done)
			<-finished
		})
	}
}

// signalExitCode is the exit code of a process ended by sig: 128 plus its number.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// Command bkjob-load is the load script of make load: it starts a bkjob-mock
// binary and a bare reference handler (itself, as "bkjob-load bare") on
// loopback, drives the same mix of realistic queries against each in turn,
// and prints the rates, latencies and their ratio, failing under a floor.
//
//	bkjob-load --mock bin/bkjob-mock [--conns 32] [--duration 5s] [--rounds 3] [--floor 0.40]
//	           [--scale 1,10,100] [--modes default,quiet] [--now 2026-11-29T10:00:00+08:00]
//	bkjob-load bare [--addr 127.0.0.1:0] < body
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

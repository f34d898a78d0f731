// Command bkjob-mock serves a mock of BlueKing Job's get_job_instance_list API
// and checks implementations of it against the contract.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := interruptContext(context.Background(), sigs, os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

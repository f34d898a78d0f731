package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// usageError marks a problem with the command line or configuration: exit code 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

const topUsage = `bkjob-mock: a mock and contract tester for BlueKing Job's get_job_instance_list.

Usage:
  bkjob-mock serve     [flags]   run the mock server (bkjob-mock serve --help)
  bkjob-mock contract  [flags]   check an implementation against the contract
  bkjob-mock dump      [flags]   print the job history the mock holds for a scope
  bkjob-mock version             print the version
`

// run is the whole program; main only supplies the process's context, arguments,
// environment and streams. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], getenv, stdout, stderr)
	case "contract":
		return runContract(ctx, args[1:], getenv, stdout, stderr)
	case "dump":
		err = runDump(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "bkjob-mock", Version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "bkjob-mock: unknown command %q\n\n%s", args[0], topUsage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "bkjob-mock:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "bkjob-mock:", err)
		return 1
	}
}

// errHelp is returned when --help was asked for and printed.
var errHelp = errors.New("help requested")

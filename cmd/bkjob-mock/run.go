package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// Exit codes of the program.
const (
	exitOK           = 0 // done; for contract: every check that ran passed
	exitFailure      = 1 // a runtime error; for contract: a check failed
	exitUsage        = 2 // bad usage or configuration; for contract also an unreachable target
	exitInconclusive = 3 // contract: nothing failed but essential checks could not run
)

// exitError is an error that ends the program with its own exit code. Err, if
// not nil, is printed; usage adds the command's usage hint after it.
type exitError struct {
	code  int
	err   error
	usage bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a problem with the command line or configuration: exit code 2.
func usageError(err error) error { return &exitError{code: exitUsage, err: err, usage: true} }

func usagef(format string, args ...any) error { return usageError(fmt.Errorf(format, args...)) }

// errHelp is returned when --help was asked for and printed.
var errHelp = errors.New("help requested")

const topUsage = `bkjob-mock: a mock and contract tester for BlueKing Job's get_job_instance_list.

Usage:
  bkjob-mock serve     [flags]   run the mock server (bkjob-mock serve --help)
  bkjob-mock contract  [flags]   check an implementation against the contract
  bkjob-mock proxy     [flags]   pass requests on to an implementation, checking each answer against the contract
  bkjob-mock dump      [flags]   print the job history the mock holds for a scope
  bkjob-mock record    [flags]   record the tasks of a scope from a server, for serve --recorded
  bkjob-mock version             print the version
`

// command is a subcommand: what it runs and how its errors are printed.
type command struct {
	run       func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
	prefix    string // starts each error line
	usageHint string // a line after a usage error; empty for none
}

var commands = map[string]command{
	"serve":    {run: runServe, prefix: "bkjob-mock:"},
	"dump":     {run: runDump, prefix: "bkjob-mock:"},
	"record":   {run: runRecord, prefix: "bkjob-mock record:", usageHint: "Run 'bkjob-mock record --help' for usage."},
	"contract": {run: runContract, prefix: "bkjob-mock contract:", usageHint: "Run 'bkjob-mock contract --help' for usage."},
	"proxy":    {run: runProxy, prefix: "bkjob-mock proxy:", usageHint: "Run 'bkjob-mock proxy --help' for usage."},
}

// run is the whole program; main only supplies the process's context, arguments,
// environment and streams. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "bkjob-mock", Version)
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "bkjob-mock: unknown command %q\n\n%s", args[0], topUsage)
		return exitUsage
	}
	err := cmd.run(ctx, args[1:], getenv, stdout, stderr)
	cmd.report(stderr, err)
	return exitCode(err)
}

// exitCode maps what a command returned to the exit code: 0 for nil and
// errHelp, the code of an *exitError, 1 for any other error.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		return exitFailure
	}
}

// report prints err, if there is anything to print: a line per joined
// error, each after the command's prefix, then the usage hint for a usage error.
func (c command) report(w io.Writer, err error) {
	if err == nil || errors.Is(err, errHelp) {
		return
	}
	msg := err
	if e, ok := err.(*exitError); ok {
		msg = e.err // nil when the command has said everything already
	}
	if msg == nil {
		return
	}
	parts := []error{msg}
	if j, ok := msg.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	for _, p := range parts {
		fmt.Fprintln(w, c.prefix, p)
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.usage && c.usageHint != "" {
		fmt.Fprintln(w, c.usageHint)
	}
}

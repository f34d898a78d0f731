package main

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"help", errHelp, 0},
		{"runtime error", errors.New("boom"), 1},
		{"usage error", usagef("--x is required"), 2},
		{"wrapped usage error", fmt.Errorf("dump: %w", usagef("--x")), 2},
		{"checks failed, nothing to print", &exitError{code: exitFailure}, 1},
		{"unreachable", &exitError{code: exitUsage, err: errors.New("target unreachable")}, 2},
		{"inconclusive", &exitError{code: exitInconclusive, err: errors.New("inconclusive")}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, exitCode(tt.err))
		})
	}
}

func TestCommandReport(t *testing.T) {
	t.Parallel()
	serve, contract := commands["serve"], commands["contract"]
	for _, tt := range []struct {
		name string
		cmd  command
		err  error
		want string
	}{
		{"nil", serve, nil, ""},
		{"help", contract, errHelp, ""},
		{"silent exit", contract, &exitError{code: exitFailure}, ""},
		{"runtime error", serve, errors.New("boom"), "bkjob-mock: boom\n"},
		{"usage error without hint", serve, usagef("--watch needs --fixtures FILE"), "bkjob-mock: --watch needs --fixtures FILE\n"},
		{"usage error with hint", contract, usagef("--base-url is required"),
			"bkjob-mock contract: --base-url is required\nRun 'bkjob-mock contract --help' for usage.\n"},
		{"code 2 that is not usage", contract, &exitError{code: exitUsage, err: errors.New("target unreachable")},
			"bkjob-mock contract: target unreachable\n"},
		{"joined errors, a line each", contract, errors.Join(errors.New("context canceled"), errors.New("writing r.json: disk full")),
			"bkjob-mock contract: context canceled\nbkjob-mock contract: writing r.json: disk full\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			tt.cmd.report(&b, tt.err)
			assert.Equal(t, tt.want, b.String())
		})
	}
}

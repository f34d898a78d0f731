package main

import (
	"context"
	"io"
)

// runDump prints the history of one scope.
func runDump(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usagef("dump: not available yet")
}

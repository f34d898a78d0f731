//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
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

// TestMain lets the test binary stand in for the program: with
// BKJOB_MOCK_TEST_MAIN=1 it runs main with the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv("BKJOB_MOCK_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{os.Args[0]}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// The program, sent one SIGINT or SIGTERM (what Ctrl-C, docker stop or make
// pass on), shuts down gracefully and exits 0.
func TestServeExitsZeroOnSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve", "--addr", "127.0.0.1:0", "--log-level", "off")
			cmd.Env = append(os.Environ(), "BKJOB_MOCK_TEST_MAIN=1")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { cmd.Process.Kill() }) // if the test fails before it exits
			lines := bufio.NewScanner(stdout)
			require.True(t, lines.Scan(), "stderr: %s", stderr.String())
			require.Contains(t, lines.Text(), "bkjob-mock listening on http://127.0.0.1:")
			require.NoError(t, cmd.Process.Signal(sig))
			var rest strings.Builder
			for lines.Scan() {
				rest.WriteString(lines.Text() + "\n")
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				assert.NoError(t, err, "exit status; stderr: %s", stderr.String())
				assert.Equal(t, 0, cmd.ProcessState.ExitCode())
			case <-time.After(guard):
				t.Fatal("serve did not exit")
			}
			assert.Contains(t, rest.String(), "bkjob-mock stopped\n")
			assert.Empty(t, stderr.String())
		})
	}
}

//go:build unix

package main

// TestDocs runs the walk-throughs of README.md and docs/*.md as written:
// every block fenced as ```console, its "$ " lines as commands, the lines
// after each as the output it must print. make docs-check runs only this.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// docsNow is the clock of the mock a document's commands run against when
// the document starts none itself.
const docsNow = "2026-11-29T10:00:00+08:00"

// docsAddr is the address the documents show; the commands run against a
// mock on a free port, written back as this one in what they print.
const docsAddr = "127.0.0.1:8080"

// docsProxyAddr is the address the documents show for a proxy
// ("bkjob-mock proxy ... &"), which runs on a free port likewise until
// "kill -INT %1; wait" stops it.
const docsProxyAddr = "127.0.0.1:8081"

// docCommand is one "$ " command of a console block and the output shown after it.
type docCommand struct {
	file string
	line int
	cmd  string
	want []string
}

// parseConsoleBlocks returns the commands of the ```console blocks of text.
// A command goes on over lines that end with a backslash.
func parseConsoleBlocks(file, text string) ([]docCommand, error) {
	var out []docCommand
	in := false
	cont := false
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && trimmed == "```console":
			in = true
		case !in:
		case trimmed == "```":
			if cont {
				return nil, fmt.Errorf("%s:%d: the block ends inside a command", file, i+1)
			}
			in = false
		case cont:
			c := &out[len(out)-1]
			c.cmd += "\n" + line
			cont = strings.HasSuffix(line, `\`)
		case strings.HasPrefix(line, "$ "):
			out = append(out, docCommand{file: file, line: i + 1, cmd: line[2:]})
			cont = strings.HasSuffix(line, `\`)
		case len(out) == 0:
			return nil, fmt.Errorf("%s:%d: a console block starts with output, not a \"$ \" command", file, i+1)
		default:
			out[len(out)-1].want = append(out[len(out)-1].want, line)
		}
	}
	if in {
		return nil, fmt.Errorf("%s: a console block is not closed", file)
	}
	return out, nil
}

// outputPattern matches what a command shows: each line literally, except
// that "..." stands for any text within a line, and a line of only "..."
// for any number of lines.
func outputPattern(want []string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, line := range want {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "..." {
			b.WriteString(`(?:[^\n]*\n)*?`)
			continue
		}
		parts := strings.Split(line, "...")
		for i, p := range parts {
			if i > 0 {
				b.WriteString(`[^\n]*?`)
			}
			b.WriteString(regexp.QuoteMeta(p))
		}
		b.WriteString(`\n`)
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// normalize trims trailing blanks of every line and blank lines at the end.
func normalize(s string) string {
	lines := strings.Split(strings.TrimRight(s, " \t\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " \t\r")
	}
	out := strings.Join(lines, "\n")
	if out == "" {
		return ""
	}
	return out + "\n"
}

var (
	assignment  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	serveCmd    = regexp.MustCompile(`^(?:go run \./cmd/bkjob-mock|bkjob-mock) serve\b`)
	proxyCmd    = regexp.MustCompile(`^(?:go run \./cmd/bkjob-mock|bkjob-mock) proxy\b(.*)&$`)
	stopCmd     = regexp.MustCompile(`^kill -(?:INT|TERM) %1; wait(?: %1; echo "exit \$\?")?$`)
	makeRunCmd  = regexp.MustCompile(`^make run(?: ARGS="([^"]*)")?\s*$`)
	goRunPrefix = regexp.MustCompile(`(^|[\s;|&(])go run \./cmd/bkjob-mock\b`)
)

// docRunner runs the commands of one document against its own mock.
type docRunner struct {
	t       *testing.T
	shim    string // a directory with a bkjob-mock that is this test binary
	dir     string // the commands' working directory: files they write go there
	prelude []string
	mock    *exec.Cmd
	addr    string // where the mock listens
	done    chan struct{}
	proxy   *docProxy // a proxy in the background, if any
}

// docProxy is a "bkjob-mock proxy ... &" of a document.
type docProxy struct {
	cmd    *exec.Cmd
	addr   string
	out    *syncBuffer // stdout
	banner int         // the length of the banner in out
	stderr *syncBuffer
	done   chan struct{} // closed when stdout ends
}

func TestDocs(t *testing.T) {
	t.Parallel()
	required := os.Getenv("BKJOB_DOCS_CHECK") == "1"
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if required {
				t.Fatalf("BKJOB_DOCS_CHECK=1 but %s is missing: the walk-throughs need bash, curl and jq", tool)
			}
			t.Skipf("%s not installed; the walk-throughs need bash, curl and jq (BKJOB_DOCS_CHECK=1 makes this a failure)", tool)
		}
	}
	self, err := os.Executable()
	require.NoError(t, err)
	shim := t.TempDir()
	script := "#!/bin/sh\nBKJOB_MOCK_TEST_MAIN=1 exec '" + self + "' -- \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(shim, "bkjob-mock"), []byte(script), 0o755))

	files, err := filepath.Glob("../../docs/*.md")
	require.NoError(t, err)
	files = append([]string{"../../README.md"}, files...)
	ran := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		require.NoError(t, err)
		name := strings.TrimPrefix(f, "../../")
		cmds, err := parseConsoleBlocks(name, string(text))
		require.NoError(t, err)
		if len(cmds) == 0 {
			continue
		}
		ran += len(cmds)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &docRunner{t: t, shim: shim, dir: t.TempDir()}
			t.Cleanup(r.stop)
			for _, c := range cmds {
				r.run(c)
			}
		})
	}
	require.NotZero(t, ran, "no ```console block in README.md or docs/*.md")
}

// env is the environment of the commands: the shim first on PATH.
func (r *docRunner) env() []string {
	return append(os.Environ(), "PATH="+r.shim+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// run runs c and fails the test, naming the file and line, when its output
// is not the one shown.
func (r *docRunner) run(c docCommand) {
	r.t.Helper()
	where := fmt.Sprintf("%s:%d", c.file, c.line)
	cmd := strings.TrimSpace(c.cmd)
	if m := makeRunCmd.FindStringSubmatch(cmd); m != nil {
		r.start(where, "bkjob-mock serve "+m[1], c.want)
		return
	}
	if serveCmd.MatchString(cmd) {
		r.start(where, goRunPrefix.ReplaceAllString(cmd, "${1}bkjob-mock"), c.want)
		return
	}
	if r.mock == nil {
		r.start(where, "bkjob-mock serve --now "+docsNow, nil)
	}
	if m := proxyCmd.FindStringSubmatch(strings.ReplaceAll(cmd, "\\\n", " ")); m != nil {
		r.startProxy(where, "bkjob-mock proxy"+m[1], c.want)
		return
	}
	if stopCmd.MatchString(cmd) {
		r.stopProxy(where, cmd, c.want)
		return
	}
	cmd = goRunPrefix.ReplaceAllString(cmd, "${1}bkjob-mock")
	cmd = strings.ReplaceAll(cmd, docsAddr, r.addr)
	if r.proxy != nil {
		cmd = strings.ReplaceAll(cmd, docsProxyAddr, r.proxy.addr)
	}
	script := strings.Join(append(append([]string{"set -o pipefail"}, r.prelude...), cmd), "\n")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", script)
	sh.Env = r.env()
	sh.Dir = r.dir
	out, err := sh.CombinedOutput()
	got := normalize(r.unaddress(string(out)))
	if ctx.Err() != nil {
		r.t.Fatalf("%s: %s\ndid not end within a minute; printed:\n%s", where, c.cmd, got)
	}
	if !outputPattern(c.want).MatchString(got) {
		r.t.Errorf("%s: %s\nshown:\n%s\nprinted (exit %v):\n%s", where, c.cmd, strings.Join(c.want, "\n"), err, got)
	}
	if assignment.MatchString(cmd) && len(c.want) == 0 {
		r.prelude = append(r.prelude, cmd)
	}
}

// start starts a fresh mock with the serve command line cmd, on a free
// port, and checks its banner against want (when shown).
func (r *docRunner) start(where, cmd string, want []string) {
	r.t.Helper()
	r.stop()
	cmd = strings.ReplaceAll(cmd, "--addr "+docsAddr, "")
	sh := exec.Command("bash", "-c", strings.Join(append(append([]string{}, r.prelude...), "exec "+cmd+" --addr 127.0.0.1:0 --log-level off"), "\n"))
	sh.Env = r.env()
	sh.Dir = r.dir
	stdout, err := sh.StdoutPipe()
	require.NoError(r.t, err)
	var stderr strings.Builder
	sh.Stderr = &stderr
	require.NoError(r.t, sh.Start(), where)
	r.mock, r.done = sh, make(chan struct{})
	lines := make(chan string)
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner strings.Builder
	listening := regexp.MustCompile(`^bkjob-mock listening on http://(\S+)$`)
	timeout := time.After(30 * time.Second)
	for !strings.Contains(banner.String(), "\nAPI under ") {
		select {
		case l, ok := <-lines:
			if !ok {
				r.t.Fatalf("%s: %s\nexited before its banner:\n%s%s", where, cmd, banner.String(), stderr.String())
			}
			if m := listening.FindStringSubmatch(l); m != nil {
				r.addr = m[1]
			}
			banner.WriteString(l + "\n")
		case <-timeout:
			r.t.Fatalf("%s: %s\nprinted no banner:\n%s%s", where, cmd, banner.String(), stderr.String())
		}
	}
	go func() {
		for range lines { // "bkjob-mock stopped"
		}
	}()
	got := normalize(strings.ReplaceAll(banner.String(), r.addr, docsAddr))
	if want != nil && !outputPattern(want).MatchString(got) {
		r.t.Errorf("%s: %s\nshown:\n%s\nprinted:\n%s", where, cmd, strings.Join(want, "\n"), got)
	}
}

// unaddress writes the addresses of the runner's mock and proxy back as the
// documents show them.
func (r *docRunner) unaddress(s string) string {
	if r.proxy != nil {
		s = strings.ReplaceAll(s, r.proxy.addr, docsProxyAddr)
	}
	return strings.ReplaceAll(s, r.addr, docsAddr)
}

// startProxy starts "bkjob-mock proxy ARGS &" in front of the document's
// mock, on a free port, and checks its banner against want.
func (r *docRunner) startProxy(where, cmd string, want []string) {
	r.t.Helper()
	if r.proxy != nil {
		r.t.Fatalf("%s: a proxy runs already: stop it first (kill -INT %%1; wait)", where)
	}
	cmd = strings.ReplaceAll(cmd, "--addr "+docsProxyAddr, "")
	cmd = strings.ReplaceAll(cmd, docsAddr, r.addr)
	sh := exec.Command("bash", "-c", strings.Join(append(append([]string{}, r.prelude...), "exec "+cmd+" --addr 127.0.0.1:0 --log-level off"), "\n"))
	sh.Env = r.env()
	sh.Dir = r.dir
	stdout, err := sh.StdoutPipe()
	require.NoError(r.t, err)
	p := &docProxy{cmd: sh, out: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	sh.Stderr = p.stderr
	require.NoError(r.t, sh.Start(), where)
	r.proxy = p
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out.Write([]byte(sc.Text() + "\n"))
		}
	}()
	timeout := time.After(30 * time.Second)
	for !strings.Contains(p.out.String(), "\nAPI under ") {
		select {
		case <-p.done:
			r.t.Fatalf("%s: %s\nexited before its banner:\n%s%s", where, cmd, p.out.String(), p.stderr.String())
		case <-timeout:
			r.t.Fatalf("%s: %s\nprinted no banner:\n%s%s", where, cmd, p.out.String(), p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	banner := p.out.String()
	p.banner = len(banner)
	m := regexp.MustCompile(`(?m)^bkjob-mock listening on http://(\S+)$`).FindStringSubmatch(banner)
	require.NotNil(r.t, m, "%s: no listening line:\n%s", where, banner)
	p.addr = m[1]
	if got := normalize(r.unaddress(banner)); !outputPattern(want).MatchString(got) {
		r.t.Errorf("%s: %s\nshown:\n%s\nprinted:\n%s", where, cmd, strings.Join(want, "\n"), got)
	}
}

// stopProxy interrupts the document's proxy, waits for it, and checks what
// it printed meanwhile (on stdout, then stderr), and its exit status when the
// command echoes it, against want.
func (r *docRunner) stopProxy(where, cmd string, want []string) {
	r.t.Helper()
	if r.proxy == nil {
		r.t.Fatalf("%s: no proxy runs", where)
	}
	got, code := r.endProxy()
	if strings.Contains(cmd, "echo") {
		got += fmt.Sprintf("exit %d\n", code)
	}
	if !outputPattern(want).MatchString(normalize(r.unaddress(got))) {
		r.t.Errorf("%s: %s\nshown:\n%s\nprinted:\n%s", where, cmd, strings.Join(want, "\n"), got)
	}
	r.proxy = nil
}

// endProxy interrupts the proxy, waits for it, and returns what it printed
// after its banner, stdout then stderr, and its exit status.
func (r *docRunner) endProxy() (string, int) {
	p := r.proxy
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd.Wait()
	return p.out.String()[p.banner:] + p.stderr.String(), p.cmd.ProcessState.ExitCode()
}

// stop ends the mock this runner started, if any, and waits for it.
func (r *docRunner) stop() {
	if r.proxy != nil {
		r.endProxy()
		r.proxy = nil
	}
	if r.mock == nil {
		return
	}
	r.mock.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.mock.Process.Kill()
		<-r.done
	}
	r.mock.Wait()
	r.mock = nil
}

func TestConsoleBlocks(t *testing.T) {
	t.Parallel()
	text := "intro\n```sh\n$ not run\n```\n```console\n$ echo a \\\n  b\na b\n$ X=1\n$ true\n```\n"
	cmds, err := parseConsoleBlocks("f.md", text)
	require.NoError(t, err)
	require.Equal(t, []docCommand{
		{file: "f.md", line: 6, cmd: "echo a \\\n  b", want: []string{"a b"}},
		{file: "f.md", line: 9, cmd: "X=1"},
		{file: "f.md", line: 10, cmd: "true"},
	}, cmds)
	for _, bad := range []string{"```console\nout first\n```\n", "```console\n$ a \\\n```\n", "```console\n$ a\n"} {
		_, err := parseConsoleBlocks("f.md", bad)
		require.Error(t, err, "%q", bad)
	}

	for _, tt := range []struct {
		want  []string
		got   string
		match bool
	}{
		{nil, "", true},
		{nil, "x\n", false},
		{[]string{"a", "b"}, "a\nb\n", true},
		{[]string{"a", "b"}, "a\nb\nc\n", false},
		{[]string{"id ...: ok"}, "id 7f3a: ok\n", true},
		{[]string{"id ...: ok"}, "id 7f3a\n: ok\n", false},
		{[]string{"head", "...", "tail"}, "head\n1\n2\ntail\n", true},
		{[]string{"head", "...", "tail"}, "head\ntail\n", true},
		{[]string{"head", "..."}, "head\nmore\n", true},
		{[]string{"a.b"}, "axb\n", false},
	} {
		require.Equal(t, tt.match, outputPattern(tt.want).MatchString(normalize(tt.got)), "%q against %q", tt.want, tt.got)
	}
}

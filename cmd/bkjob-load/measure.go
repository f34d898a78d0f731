package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/internal/loadtest"
)

// auth is the X-Bkapi-Authorization of every request: admin may read every scope.
const auth = `{"bk_app_code":"bkjob-load","bk_app_secret":"any","bk_username":"admin"}`

// noMatch is a filter no task of the default fixtures matches (script tasks
// are never launched by cron) and that the history cannot rule out before
// scanning, so the query reads (and first generates) every day of the window.
const noMatch = "type=1&launch_mode=3"

// result is one mode at one scale, measured.
type result struct {
	mode    string
	scale   float64
	cmp     loadtest.Comparison // the mock against bare
	mixRef  *loadtest.Medians   // bare-mix, when measured
	verdict error
}

// measure runs every mode at every scale and prints the results.
func measure(ctx context.Context, opt options, out io.Writer) error {
	now, _ := time.Parse(time.RFC3339, opt.now)
	mix := loadtest.Mix(opt.scope, now)
	header := map[string]string{"X-Bkapi-Authorization": auth}
	fmt.Fprintf(out, "mix: %d queries for %s (1/7/30-day windows x %d filters x %d pages), clock pinned at %s\n",
		len(mix), opt.scope, len(loadtest.Filters), len(loadtest.Pages), opt.now)
	fmt.Fprintf(out, "load: %d connections, %d rounds of %v against each, alternately, after a warm-up; medians\n",
		opt.conns, opt.rounds, opt.duration)

	var bare *process
	defer func() {
		if bare != nil {
			bare.stop()
		}
	}()
	var results []result
	for _, scale := range opt.scales {
		for _, mode := range opt.modes {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--now", opt.now, "--seed", "1",
				"--scale", strconv.FormatFloat(scale, 'g', -1, 64)}, modes[mode]...)
			args = append(args, opt.extra...)
			fmt.Fprintf(out, "\n%s %s\n", opt.mock, strings.Join(args, " "))
			m, err := startMock(ctx, opt.mock, args, opt.mockLog)
			if err != nil {
				return err
			}
			res, err := func() (res result, err error) {
				defer m.stop()
				fmt.Fprintf(out, "  listening on http://%s after %v\n", m.addr, m.startup.Round(time.Millisecond))
				if err := firstTouch(out, m.addr, now, opt.scope); err != nil {
					return result{}, err
				}
				if bare == nil {
					body, err := get(m.addr, loadtest.Query(opt.scope, now.Add(-30*24*time.Hour), now, "", ""))
					if err != nil {
						return result{}, fmt.Errorf("the default page: %w", err)
					}
					if bare, err = startBare(ctx, body); err != nil {
						return result{}, err
					}
					fmt.Fprintf(out, "  bare handler: the default page's %d bytes\n", len(body))
				}
				servers := []*process{m, bare}
				if opt.bareMix {
					bodies := map[string][]byte{}
					for _, path := range mix {
						if bodies[path], err = get(m.addr, path); err != nil {
							return result{}, err
						}
					}
					bm, err := startBareMix(ctx, bodies)
					if err != nil {
						return result{}, err
					}
					defer bm.stop()
					size := 0
					for _, b := range bodies {
						size += len(b)
					}
					fmt.Fprintf(out, "  bare-mix handler: the mock's own %d answers, %d bytes on average\n", len(bodies), size/len(bodies))
					servers = append(servers, bm)
				}
				meds, err := compare(ctx, out, opt, servers, mix, header)
				if err != nil {
					return result{}, err
				}
				res = result{cmp: loadtest.Comparison{Server: meds[0], Reference: meds[1]}}
				if len(meds) > 2 {
					res.mixRef = &meds[2]
				}
				return res, nil
			}()
			if err != nil {
				return err
			}
			res.mode, res.scale = mode, scale
			res.verdict = loadtest.Verdict(res.cmp, opt.floor, opt.maxP99)
			results = append(results, res)
		}
	}
	return report(out, opt, results)
}

// compare measures the servers alternately (the first is the mock, the
// others references; the order turns every round) and returns the medians
// of each.
func compare(ctx context.Context, out io.Writer, opt options, servers []*process, mix []string, header map[string]string) ([]loadtest.Medians, error) {
	runOn := func(p *process, d time.Duration) (loadtest.Summary, error) {
		cpu0, cpuOK := p.cpu()
		s, err := loadtest.Run(ctx, loadtest.Load{Addr: p.addr, Paths: mix, Header: header, Conns: opt.conns, Duration: d})
		if cpu1, ok := p.cpu(); ok && cpuOK {
			s.CPU = cpu1 - cpu0
		}
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err == nil && s.Errors > 0 {
			err = fmt.Errorf("%d errors of %d requests to the %s, the first: %s", s.Errors, s.Errors+s.Requests, p.name, s.FirstErr)
		}
		return s, err
	}
	warm := min(opt.duration, time.Second)
	for _, p := range servers {
		if _, err := runOn(p, warm); err != nil {
			return nil, err
		}
	}
	runs := make([][]loadtest.Summary, len(servers))
	for round := range opt.rounds {
		for k := range servers {
			i := (k + round) % len(servers)
			s, err := runOn(servers[i], opt.duration)
			if err != nil {
				return nil, err
			}
			runs[i] = append(runs[i], s)
		}
		fmt.Fprintf(out, "  round %d:", round+1)
		for i, p := range servers {
			if i > 0 {
				fmt.Fprint(out, " |")
			}
			fmt.Fprintf(out, " %s %s", p.name, line(runs[i][round]))
		}
		fmt.Fprintf(out, " | ratio %.2f\n", runs[0][round].Rate()/runs[1][round].Rate())
	}
	meds := make([]loadtest.Medians, len(servers))
	for i := range servers {
		meds[i] = loadtest.MedianOf(runs[i])
	}
	return meds, nil
}

func line(s loadtest.Summary) string {
	return fmt.Sprintf("%6.0f req/s p50 %s p99 %s cpu %s/req", s.Rate(), ms(s.P50), ms(s.P99), us(s.CPUPerRequest()))
}

func us(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs" }

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms" }

// firstTouch times the first answers of a fresh mock: the default page of a
// day (one or two days generated), then a 30-day query matching nothing
// (every other day generated), then the same query again (all cached). The
// difference is what generating the days cost.
func firstTouch(out io.Writer, addr string, now time.Time, scope bkjob.Scope) error {
	scan := loadtest.Query(scope, now.Add(-30*24*time.Hour), now, noMatch, "")
	timed := func(path string) (time.Duration, error) {
		t0 := time.Now()
		body, err := get(addr, path)
		if err == nil && path == scan && !bytes.HasPrefix(body, []byte(`{"data":{"job_instance_list":[]}`)) {
			err = fmt.Errorf("%s matches tasks, so it does not show what a full scan costs", noMatch)
		}
		return time.Since(t0), err
	}
	day, err := timed(loadtest.Query(scope, now.Add(-24*time.Hour), now, "", ""))
	if err != nil {
		return err
	}
	cold, err := timed(scan)
	if err != nil {
		return err
	}
	warm, err := timed(scan)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  first 1-day page %s; 30-day scan: first %s, again %s, so about %s to generate a day\n",
		ms(day), ms(cold), ms(warm), ms(max(cold-warm, 0)/30))
	return nil
}

// get fetches path from addr as admin and returns the body of its 200 answer.
func get(addr, path string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Bkapi-Authorization", auth)
	client := http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d: %.300s", path, resp.StatusCode, body)
	}
	return body, err
}

// report prints the table of results and returns the failed verdicts.
func report(out io.Writer, opt options, results []result) error {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tscale\tmock req/s\tp50\tp99\tcpu/req\tbare req/s\tp50\tp99\tcpu/req\tratio\tp99 x bare\tvs first scale\t")
	first := map[string]float64{}
	var failed []error
	var mixRows []result
	for _, r := range results {
		if _, ok := first[r.mode]; !ok {
			first[r.mode] = r.cmp.Server.Rate
		}
		s, b := r.cmp.Server, r.cmp.Reference
		fmt.Fprintf(tw, "%s\t%g\t%.0f\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%.2f\t%.1f\t%.2f\t\n", r.mode, r.scale,
			s.Rate, ms(s.P50), ms(s.P99), us(s.CPU), b.Rate, ms(b.P50), ms(b.P99), us(b.CPU), r.cmp.Ratio(), r.cmp.P99Ratio(), s.Rate/first[r.mode])
		if r.mixRef != nil {
			mixRows = append(mixRows, r)
		}
		if r.verdict != nil {
			failed = append(failed, fmt.Errorf("%s at scale %g: %w", r.mode, r.scale, r.verdict))
		}
	}
	tw.Flush()
	if len(mixRows) > 0 {
		fmt.Fprintln(out, "\nagainst bare-mix (a bare handler sending the mock's own answers):")
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\tscale\tbare-mix req/s\tp50\tp99\tcpu/req\tmock's ratio\tbare-mix/bare\t")
		for _, r := range mixRows {
			m := *r.mixRef
			fmt.Fprintf(tw, "%s\t%g\t%.0f\t%s\t%s\t%s\t%.2f\t%.2f\t\n", r.mode, r.scale, m.Rate, ms(m.P50), ms(m.P99), us(m.CPU),
				r.cmp.Server.Rate/m.Rate, m.Rate/r.cmp.Reference.Rate)
		}
		tw.Flush()
	}
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	fmt.Fprintf(out, "every ratio is at least the floor %.2f\n", opt.floor)
	return nil
}

// process is a server the script started, listening on addr.
type process struct {
	name    string // mock, bare or bare-mix
	cmd     *exec.Cmd
	addr    string
	startup time.Duration // from start to its "listening on" line
	done    chan struct{} // closed when it has exited
}

// startMock starts the mock binary with args; its log goes to logFile or nowhere.
func startMock(ctx context.Context, bin string, args []string, logFile string) (*process, error) {
	cmd := exec.Command(bin, args...)
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cmd.Stderr = f
	}
	p, err := start(ctx, cmd, "bkjob-mock listening on http://")
	if p != nil {
		p.name = "mock"
	}
	return p, err
}

// startBare starts this binary as the bare handler of body.
func startBare(ctx context.Context, body []byte) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "bare", "--addr", "127.0.0.1:0")
	cmd.Stdin = bytes.NewReader(body)
	p, err := start(ctx, cmd, "bare listening on http://")
	if p != nil {
		p.name = "bare"
	}
	return p, err
}

// startBareMix starts this binary as the bare handler of every answer.
func startBareMix(ctx context.Context, bodies map[string][]byte) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	if err := loadtest.WriteBodies(&in, bodies); err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "bare", "--addr", "127.0.0.1:0", "--mix")
	cmd.Stdin = &in
	p, err := start(ctx, cmd, "bare listening on http://")
	if p != nil {
		p.name = "bare-mix"
	}
	return p, err
}

// start starts cmd and waits (at most 30s) for the line that says where it
// listens; stdout is read to its end meanwhile.
func start(ctx context.Context, cmd *exec.Cmd, prefix string) (*process, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				select {
				case addrc <- a:
				default:
				}
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	select {
	case p.addr = <-addrc:
		p.startup = time.Since(t0)
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before it listened: %v (--mock-log FILE keeps its log)", cmd.Path, cmd.ProcessState)
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("%s did not listen within 30s", cmd.Path)
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.stop()
	return nil, err
}

// cpu returns the CPU time the process has used so far (user and system),
// read from /proc on Linux; ok is false elsewhere. Ticks are taken as
// 1/100 s, the USER_HZ of every Linux architecture Go runs on.
func (p *process) cpu() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime + stime from the text of /proc/PID/stat.
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state); utime, stime are fields 14, 15
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * 10 * time.Millisecond, true
}

// stop ends the process: SIGTERM, then SIGKILL after 5s.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

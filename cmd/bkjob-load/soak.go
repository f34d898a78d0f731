package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/internal/loadtest"
)

const soakUsage = `Usage: bkjob-load soak [flags]   hold bkjob-mock under mixed, adversarial load and watch its memory

Starts the bkjob-mock binary (--mock) on 127.0.0.1 with its default flags and a
running clock, and sends --conns concurrent streams of mixed requests for
--duration: valid queries of the load mix, requests the real stack refuses,
scenario headers, ids and windows outside the retention window, 40 KB request
headers, journal reads, entry and curl exports and HAR exports. It samples the
mock's RSS every --sample and fails (exit 1) when RSS passes the bound

	RSS at start + 2 × (history bound + journal bound) + 64 MiB

with the history and journal bounds read from GET /__mock/config (the history
bound is documented in docs/speed.md; the collector lets the heap grow to twice
what is live; 64 MiB covers connections, export buffers and the runtime), or
when a valid query was not answered 200, or the mock exited.

Flags:
`

type soakOptions struct {
	mock     string
	duration time.Duration
	sample   time.Duration
	conns    int
	extra    []string
	mockLog  string
}

func parseSoak(args []string, stdout io.Writer) (soakOptions, error) {
	fs := flag.NewFlagSet("bkjob-load soak", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var opt soakOptions
	fs.StringVar(&opt.mock, "mock", "bin/bkjob-mock", "the bkjob-mock binary to soak")
	fs.DurationVar(&opt.duration, "duration", time.Minute, "how long to send load (at most 1h)")
	fs.DurationVar(&opt.sample, "sample", 5*time.Second, "how often to sample the mock's RSS")
	fs.IntVar(&opt.conns, "conns", 16, "concurrent request streams (1..256)")
	serveArgs := ""
	fs.StringVar(&serveArgs, "serve-args", "", `more flags for "bkjob-mock serve", separated by spaces, e.g. "--scale 10"`)
	fs.StringVar(&opt.mockLog, "mock-log", "", "append the mock's log to this file (default: discarded)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, soakUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return opt, err
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	opt.extra = strings.Fields(serveArgs)
	switch {
	case opt.duration <= 0 || opt.duration > time.Hour:
		return opt, fmt.Errorf("--duration must be in (0, 1h], got %v", opt.duration)
	case opt.sample < 100*time.Millisecond || opt.sample > opt.duration:
		return opt, fmt.Errorf("--sample must be from 100ms to --duration, got %v", opt.sample)
	case opt.conns < 1 || opt.conns > 256:
		return opt, fmt.Errorf("--conns must be in 1..256, got %d", opt.conns)
	}
	if _, err := os.Stat(opt.mock); err != nil {
		return opt, fmt.Errorf("--mock: %v (make soak builds bin/bkjob-mock)", err)
	}
	return opt, nil
}

func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opt, err := parseSoak(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "bkjob-load soak: %v (see bkjob-load soak --help)\n", err)
		return exitUsage
	}
	if err := soak(ctx, opt, stdout); err != nil {
		fmt.Fprintln(stderr, "bkjob-load soak:", err)
		return exitFail
	}
	return exitOK
}

// soakKinds are the kinds of request a soak sends, with their weights.
var soakKinds = []struct {
	name   string
	weight int
}{
	{"valid", 40}, {"refused", 12}, {"scenario", 10}, {"adversarial", 12}, {"big-header", 10},
	{"journal", 8}, {"export", 5}, {"har", 3},
}

// soakCounts counts what a soak sent and saw.
type soakCounts struct {
	sent, transport, validBad atomic.Int64
	byKind                    sync.Map // kind → *atomic.Int64
	firstBad                  atomic.Value
}

func (c *soakCounts) add(kind string) {
	v, _ := c.byKind.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func soak(ctx context.Context, opt soakOptions, out io.Writer) error {
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, opt.extra...)
	fmt.Fprintf(out, "%s %s\n", opt.mock, strings.Join(args, " "))
	m, err := startMock(ctx, opt.mock, args, opt.mockLog)
	if err != nil {
		return err
	}
	defer m.stop()
	base := "http://" + m.addr
	var cfg struct {
		History struct {
			MaxBytes int64 `json:"max_bytes"`
		} `json:"history"`
		Journal struct {
			MaxBytes int64 `json:"max_bytes"`
		} `json:"journal"`
	}
	body, err := get(m.addr, "/__mock/config")
	if err != nil {
		return fmt.Errorf("GET /__mock/config: %w", err)
	}
	if err := json.Unmarshal(body, &cfg); err != nil || cfg.History.MaxBytes <= 0 {
		return fmt.Errorf("GET /__mock/config: no history.max_bytes in %.200s", body)
	}
	start, err := rss(m.cmd.Process.Pid)
	if err != nil {
		return err
	}
	bound := start + 2*(cfg.History.MaxBytes+cfg.Journal.MaxBytes) + 64<<20
	fmt.Fprintf(out, "bound: RSS at start %s + 2 × (history %s + journal %s) + 64 MiB = %s\n",
		mib(start), mib(cfg.History.MaxBytes), mib(cfg.Journal.MaxBytes), mib(bound))
	fmt.Fprintf(out, "load: %d streams for %v, RSS sampled every %v\n", opt.conns, opt.duration, opt.sample)

	scenarios, err := soakScenarios(m.addr)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: opt.conns, MaxConnsPerHost: opt.conns + 4},
	}
	defer client.CloseIdleConnections()
	lctx, cancel := context.WithTimeout(ctx, opt.duration)
	defer cancel()
	var counts soakCounts
	var wg sync.WaitGroup
	for i := range opt.conns {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i)+1, 7))
			for lctx.Err() == nil {
				soakOne(lctx, client, base, r, scenarios, &counts)
			}
		})
	}

	const row = "%6s  %11s  %9s  %12s  %12s\n"
	fmt.Fprintf(out, row, "t", "RSS", "requests", "journal held", "history held")
	peak := start
	sampleOnce := func(at time.Duration) error {
		v, err := rss(m.cmd.Process.Pid)
		if err != nil {
			return fmt.Errorf("the mock has gone: %w", err)
		}
		peak = max(peak, v)
		var st struct {
			History struct {
				Bytes int64 `json:"bytes"`
			} `json:"history"`
			Journal struct {
				Bytes int64 `json:"bytes"`
			} `json:"journal"`
		}
		if b, err := get(m.addr, "/__mock/config"); err == nil {
			json.Unmarshal(b, &st)
		}
		fmt.Fprintf(out, row, at.Round(time.Second), mib(v), strconv.FormatInt(counts.sent.Load(), 10), mib(st.Journal.Bytes), mib(st.History.Bytes))
		return nil
	}
	t0 := time.Now()
	tick := time.NewTicker(opt.sample)
	var failure error
loop:
	for {
		select {
		case <-tick.C:
			if err := sampleOnce(time.Since(t0)); err != nil {
				failure = err
				break loop
			}
		case <-lctx.Done():
			break loop
		case <-m.done:
			failure = errors.New("the mock exited under load")
			break loop
		}
	}
	tick.Stop()
	cancel()
	wg.Wait()
	if failure == nil && opt.duration%opt.sample != 0 {
		failure = sampleOnce(time.Since(t0)) // the last stretch
	}
	var kinds []string
	for _, k := range soakKinds {
		if v, ok := counts.byKind.Load(k.name); ok {
			kinds = append(kinds, fmt.Sprintf("%s %d", k.name, v.(*atomic.Int64).Load()))
		}
	}
	fmt.Fprintf(out, "sent %d requests (%s); %d ended in a transport error (fault scenarios, exports refused mid-way)\n",
		counts.sent.Load(), strings.Join(kinds, ", "), counts.transport.Load())
	fmt.Fprintf(out, "peak RSS %s, bound %s\n", mib(peak), mib(bound))
	switch {
	case failure != nil:
		return failure
	case counts.sent.Load() == 0:
		return errors.New("no request was sent")
	case counts.validBad.Load() > 0:
		return fmt.Errorf("%d valid queries were not answered 200; the first: %v", counts.validBad.Load(), counts.firstBad.Load())
	case peak > bound:
		return fmt.Errorf("peak RSS %s is over the bound %s", mib(peak), mib(bound))
	}
	fmt.Fprintln(out, "RSS stayed under the bound")
	return nil
}

// soakScenarios returns the scenario headers a soak sends: every scenario of
// the catalog but the slow ones (hang, latency), which would only idle a stream.
func soakScenarios(addr string) ([]string, error) {
	b, err := get(addr, "/__mock/scenarios/catalog")
	if err != nil {
		return nil, fmt.Errorf("GET /__mock/scenarios/catalog: %w", err)
	}
	var cat struct {
		Scenarios []struct {
			Name string `json:"name"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, fmt.Errorf("GET /__mock/scenarios/catalog: %w", err)
	}
	var out []string
	for _, s := range cat.Scenarios {
		if s.Name != "hang" && s.Name != "latency" {
			out = append(out, s.Name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the scenario catalog is empty")
	}
	return out, nil
}

// soakOne sends one request of a kind drawn by weight.
func soakOne(ctx context.Context, client *http.Client, base string, r *rand.Rand, scenarios []string, c *soakCounts) {
	n := r.IntN(100)
	kind := soakKinds[len(soakKinds)-1].name
	for _, k := range soakKinds {
		if n < k.weight {
			kind = k.name
			break
		}
		n -= k.weight
	}
	now := time.Now()
	scope := bkjob.Scope{Type: "biz", ID: "2"}
	header := map[string]string{"X-Bkapi-Authorization": auth}
	var path string
	switch kind {
	case "valid":
		mix := loadtest.Mix(scope, now)
		path = mix[r.IntN(len(mix))]
	case "refused":
		day := loadtest.Query(scope, now.Add(-24*time.Hour), now, "", "")
		path = []string{
			bkjob.UserAPIPath + "?bk_scope_id=2",
			day + "&type=abc",
			day + "&length=201",
			day + "&length=%2",
			day + "&status=99",
			strings.Replace(day, "bk_scope_id=2", "bk_scope_id=999", 1),
			day + strings.Repeat("&x=1", 10_001),
		}[r.IntN(7)]
		switch r.IntN(4) {
		case 0:
			delete(header, "X-Bkapi-Authorization")
		case 1:
			header["X-Bkapi-Authorization"] = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"nobody"}`
		}
	case "scenario":
		path = loadtest.Query(scope, now.Add(-7*24*time.Hour), now, "", "")
		header["X-Mock-Scenario"] = scenarios[r.IntN(len(scenarios))]
	case "adversarial":
		switch r.IntN(3) {
		case 0: // an id anywhere in the id space: nearly always outside the window
			path = loadtest.Query(scope, now.Add(-30*24*time.Hour), now, "job_instance_id="+strconv.FormatInt(20000000000+r.Int64N(1<<62), 10), "")
		case 1: // a window years away
			at := time.Date(2020+r.IntN(980), time.Month(1+r.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			path = loadtest.Query(scope, at, at.Add(30*24*time.Hour), "", "length=200")
		default: // everything there is, unfiltered and filtered to nothing
			path = loadtest.Query(scope, time.UnixMilli(0), time.UnixMilli(1<<62), []string{"", "type=1&launch_mode=3"}[r.IntN(2)], "offset=10000&length=200")
		}
	case "big-header":
		path = loadtest.Query(scope, now.Add(-24*time.Hour), now, "", "length=200")
		header["X-Soak-Padding"] = strings.Repeat(strconv.Itoa(r.IntN(10)), 40<<10)
		header["Cookie"] = "bk_ticket=" + strings.Repeat("t", 4<<10)
	case "journal":
		path = "/__mock/requests?limit=" + strconv.Itoa(1+r.IntN(200))
	case "export":
		id := strconv.Itoa(1 + r.IntN(int(c.sent.Load()+1)))
		path = []string{"/__mock/requests/" + id, "/__mock/requests/" + id + "/curl", "/__mock/requests/" + id + "/har"}[r.IntN(3)]
	case "har":
		path = "/__mock/requests.har"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c.sent.Add(1)
	c.add(kind)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.transport.Add(1)
			if kind == "valid" {
				c.validBad.Add(1)
				c.firstBad.CompareAndSwap(nil, fmt.Sprintf("%s: %v", path, err))
			}
		}
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if kind == "valid" && resp.StatusCode != http.StatusOK && ctx.Err() == nil {
		c.validBad.Add(1)
		c.firstBad.CompareAndSwap(nil, fmt.Sprintf("%s: status %d", path, resp.StatusCode))
	}
}

// rss returns the resident set size of process pid, from /proc (Linux).
func rss(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return parseVmRSS(string(b))
}

// parseVmRSS reads the VmRSS line of the text of /proc/PID/status.
func parseVmRSS(status string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10, nil
				}
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

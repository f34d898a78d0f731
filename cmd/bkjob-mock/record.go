package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

const recordUsage = `Usage: bkjob-mock record --base-url URL --auth JSON --scope TYPE:ID [flags] > tasks.jsonl

Pages through GET /api/v4/get_job_instance_list of a server (the real gateway, or
anything that answers like it) and writes every task of the scope created in
[--from, --to] as JSONL, newest first, in the format of "bkjob-mock dump":
serve --recorded SCOPE=FILE serves it back. The API returns neither the hosts of a
task nor its cron job, so "hosts" is [] and "job_cron_id" 0.

Polite to production: GET requests only, at most --rate per second and
--max-requests in all, each bounded by --timeout; 429 and 502/503/504 answers are
retried after a pause (Retry-After when given), up to 5 times a page. Paging goes
by time, newest first: each page asks for the tasks up to the oldest create_time
seen so far, so the offset stays small however long the window.

Resumable: with --resume FILE the tasks go to FILE instead of stdout; if FILE
already holds tasks, recording continues after its last (oldest) line, and an
incomplete last line left by an interruption is dropped first. Stopped by
--max-requests or an interruption, record says how to go on.

Every flag can also be set with the environment variable BKJOB_RECORD_<FLAG>
(e.g. BKJOB_RECORD_AUTH, which keeps the secret out of the command line); a flag wins.

Flags:
`

// recordFlags are the options of "record".
type recordFlags struct {
	baseURL     string
	auth        string
	scope       bkjob.Scope
	from, to    time.Time
	rate        float64
	maxRequests int
	resume      string
	length      int
	timeout     time.Duration
	system      bool
}

// Defaults of record.
const (
	recordRate        = 2
	recordMaxRequests = 1000
	recordRetries     = 5
	recordMaxOffset   = 10000 // the API refuses a larger offset
)

func (f *recordFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.baseURL, "base-url", "", "where the API lives, `URL` http(s)://host[:port][/stage prefix]; /api/v4/... is appended (required)")
	fs.StringVar(&f.auth, "auth", "", "the X-Bkapi-Authorization `JSON`, e.g. {\"bk_app_code\":\"demo\",\"bk_app_secret\":\"...\",\"bk_username\":\"admin\"} (required)")
	fs.Var(scopeFlag{&f.scope}, "scope", "scope to record, `TYPE:ID` (required)")
	fs.Var(timeFlag{&f.from}, "from", "oldest create_time to record, `TIME` as RFC 3339 or Unix ms (default: 30 days before --to)")
	fs.Var(timeFlag{&f.to}, "to", "newest create_time to record, `TIME` as RFC 3339 or Unix ms (default: now)")
	fs.Float64Var(&f.rate, "rate", recordRate, "at most this many requests per second; 0 for no limit")
	fs.IntVar(&f.maxRequests, "max-requests", recordMaxRequests, "stop after this many requests (retries count); --resume goes on")
	fs.StringVar(&f.resume, "resume", "", "append to `FILE` instead of writing to stdout, continuing after the tasks it holds")
	fs.IntVar(&f.length, "length", 200, "tasks per page, 1 to 200")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each request")
	fs.BoolVar(&f.system, "system", false, "use the system API (/api/v4/system/...), which needs no user in --auth")
}

// runRecord records the tasks of a scope from a server.
func runRecord(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	var f recordFlags
	f.register(fs)
	if err := parseFlags(fs, args, getenv, "BKJOB_RECORD_"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, recordUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usagef("%v (see bkjob-mock record --help)", err)
	}
	base, err := f.check()
	if err != nil {
		return err
	}
	to := time.Now().UnixMilli()
	if !f.to.IsZero() {
		to = f.to.UnixMilli()
	}
	from := to - 30*24*time.Hour.Milliseconds()
	if !f.from.IsZero() {
		from = f.from.UnixMilli()
	}
	if from > to {
		return usagef("--from %s is after --to %s", fmtMs(from), fmtMs(to))
	}

	r := &recorder{flags: &f, base: base, client: &http.Client{Timeout: f.timeout}, log: stderr, cursor: to, from: from, seen: map[int64]bool{}}
	out := stdout
	if f.resume != "" {
		file, err := r.openResume(f.resume)
		if err != nil {
			return err
		}
		defer file.Close()
		out = file
	}
	w := bufio.NewWriterSize(out, 64<<10)
	err = r.run(ctx, w)
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	fmt.Fprintf(stderr, "bkjob-mock record: %d tasks of %s in %d requests%s\n", r.written, f.scope, r.sent, r.span())
	if err == nil {
		return nil
	}
	if r.resumable(err) {
		how := "run the same command with --resume FILE, FILE being where the tasks went"
		if f.resume != "" {
			how = "run the same command again"
		}
		return fmt.Errorf("%w; not finished: to go on from the oldest task written, %s", err, how)
	}
	return err
}

// check validates the flags and returns the base URL.
func (f *recordFlags) check() (*url.URL, error) {
	switch {
	case f.baseURL == "":
		return nil, usagef("--base-url is required")
	case f.auth == "":
		return nil, usagef("--auth is required (or BKJOB_RECORD_AUTH)")
	case f.scope == (bkjob.Scope{}):
		return nil, usagef("--scope is required (e.g. --scope biz:2)")
	case f.rate < 0:
		return nil, usagef("--rate must not be negative")
	case f.maxRequests < 1:
		return nil, usagef("--max-requests must be at least 1")
	case f.length < 1 || f.length > 200:
		return nil, usagef("--length must be 1 to 200, not %d", f.length)
	case f.timeout <= 0:
		return nil, usagef("--timeout must be positive")
	}
	var obj map[string]any
	if json.Unmarshal([]byte(f.auth), &obj) != nil {
		return nil, usagef("--auth must be a JSON object, e.g. {\"bk_app_code\":\"demo\",\"bk_app_secret\":\"...\",\"bk_username\":\"admin\"}")
	}
	u, err := url.Parse(f.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--base-url must be http(s)://host[:port][/prefix], not %q", f.baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// recorder pages through the API newest first. Its cursor is the newest
// create_time still to fetch; seen holds the ids already written with that
// create_time, which the next page skips with its offset.
type recorder struct {
	flags  *recordFlags
	base   *url.URL
	client *http.Client
	log    io.Writer

	from, cursor int64
	seen         map[int64]bool // ids written whose create_time is cursor
	sent         int
	next         time.Time // earliest start of the next request
	written      int
	newest       int64 // create_time of the first task written, 0 before
}

// errBudget stops a recording at --max-requests.
var errBudget = errors.New("stopped at --max-requests")

func (r *recorder) resumable(err error) bool {
	return errors.Is(err, errBudget) || errors.Is(err, context.Canceled) || errors.Is(err, errRetries)
}

func (r *recorder) span() string {
	if r.written == 0 {
		return ""
	}
	return fmt.Sprintf(", created %s .. %s", fmtMs(r.cursor), fmtMs(r.newest))
}

// run writes pages until the window is done.
func (r *recorder) run(ctx context.Context, w *bufio.Writer) error {
	for r.cursor >= r.from {
		if len(r.seen) > recordMaxOffset {
			return fmt.Errorf("more than %d tasks were created at %s: the API cannot page past them", recordMaxOffset, fmtMs(r.cursor))
		}
		items, err := r.page(ctx)
		if err != nil {
			return err
		}
		fresh := 0
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // as dump writes
		for i := range items {
			j := &items[i]
			switch {
			case j.Scope != r.flags.scope:
				return fmt.Errorf("the server answered task %d of scope %s, asked for %s", j.ID, j.Scope, r.flags.scope)
			case j.CreateTime > r.cursor || j.CreateTime < r.from:
				return fmt.Errorf("the server answered task %d created at %s, outside the window asked for (%s .. %s)", j.ID, fmtMs(j.CreateTime), fmtMs(r.from), fmtMs(r.cursor))
			case j.CreateTime == r.cursor && r.seen[j.ID]:
				continue // a tie the offset did not skip: written already
			}
			if j.CreateTime < r.cursor {
				r.cursor, r.seen = j.CreateTime, map[int64]bool{}
			}
			r.seen[j.ID] = true
			if err := enc.Encode(recorded.NewRecord(j)); err != nil {
				return err
			}
			if r.written == 0 {
				r.newest = j.CreateTime
			}
			r.written++
			fresh++
		}
		if err := w.Flush(); err != nil { // a page at a time: an interruption loses at most one
			return err
		}
		if len(items) < r.flags.length {
			return nil // the window is done
		}
		if fresh == 0 {
			return fmt.Errorf("a full page with no new task at %s: the server's order is not stable", fmtMs(r.cursor))
		}
	}
	return nil
}

// errRetries is returned when a page keeps failing with a retryable status.
var errRetries = errors.New("the server kept answering with errors")

// page fetches the next page, retrying what a gateway asks to retry.
func (r *recorder) page(ctx context.Context) ([]bkjob.JobInstance, error) {
	q := url.Values{}
	q.Set("bk_scope_type", r.flags.scope.Type)
	q.Set("bk_scope_id", r.flags.scope.ID)
	q.Set("create_time_start", strconv.FormatInt(r.from, 10))
	q.Set("create_time_end", strconv.FormatInt(r.cursor, 10))
	q.Set("offset", strconv.Itoa(len(r.seen)))
	q.Set("length", strconv.Itoa(r.flags.length))
	path := bkjob.UserAPIPath
	if r.flags.system {
		path = bkjob.SystemAPIPath
	}
	u := *r.base
	u.Path += path
	u.RawQuery = q.Encode()

	pause := time.Second
	for attempt := 0; ; attempt++ {
		if err := r.wait(ctx); err != nil {
			return nil, err
		}
		items, f, err := r.get(ctx, u.String())
		if err == nil || !f.retry {
			return items, err
		}
		if attempt == recordRetries {
			return nil, fmt.Errorf("%w: %v", errRetries, err)
		}
		if f.hinted {
			pause = f.after
		}
		fmt.Fprintf(r.log, "bkjob-mock record: %v; retrying in %v\n", err, pause)
		if err := sleep(ctx, pause); err != nil {
			return nil, err
		}
		pause = min(max(2*pause, time.Second), time.Minute)
	}
}

// wait keeps to --rate and --max-requests.
func (r *recorder) wait(ctx context.Context) error {
	if r.sent >= r.flags.maxRequests {
		return errBudget
	}
	if d := time.Until(r.next); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	r.sent++
	if r.flags.rate > 0 {
		r.next = time.Now().Add(time.Duration(float64(time.Second) / r.flags.rate))
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxAnswer bounds the body of one answer: 200 tasks take about 80 KB.
const maxAnswer = 16 << 20

// failure says whether a failed request may be retried, and after how long
// the server asked to wait (Retry-After), if it did.
type failure struct {
	retry  bool
	hinted bool
	after  time.Duration
}

// get sends one request. Transport errors, 429, 502, 503 and 504 may be
// retried; any other failure may not.
func (r *recorder) get(ctx context.Context, u string) ([]bkjob.JobInstance, failure, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, failure{}, err
	}
	req.Header.Set("X-Bkapi-Authorization", r.flags.auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bkjob-mock-record/"+Version)
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, failure{}, ctx.Err()
		}
		return nil, failure{retry: true}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, failure{retry: true}, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxAnswer {
		return nil, failure{}, fmt.Errorf("an answer larger than %d MiB", maxAnswer>>20)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("HTTP %d%s", resp.StatusCode, errorText(resp.Header, body))
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			f := failure{retry: true}
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
				f.hinted, f.after = true, time.Duration(min(s, 300))*time.Second
			}
			return nil, f, err
		}
		return nil, failure{}, err
	}
	items, err := decodeList(body)
	if err != nil {
		return nil, failure{}, fmt.Errorf("the answer to GET %s: %w", req.URL.Path, err)
	}
	return items, failure{}, nil
}

// errorText is what an error answer says: the v4 error, else the gateway's.
func errorText(h http.Header, body []byte) string {
	var v4 struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		CodeName string `json:"code_name"`
		Message  string `json:"message"`
	}
	switch {
	case json.Unmarshal(body, &v4) != nil:
	case v4.Error != nil:
		return ": " + v4.Error.Code + " " + v4.Error.Message
	case v4.CodeName != "":
		return ": " + v4.CodeName + " " + v4.Message
	}
	if c := h.Get("X-Bkapi-Error-Code"); c != "" {
		return ": gateway error " + c + " " + h.Get("X-Bkapi-Error-Message")
	}
	return ""
}

// listItem is one task of a 200 answer; absent times stay nil.
type listItem struct {
	ID         *int64 `json:"job_instance_id"`
	BizID      *int64 `json:"bk_biz_id"`
	ScopeType  string `json:"bk_scope_type"`
	ScopeID    string `json:"bk_scope_id"`
	TemplateID int64  `json:"job_template_id"`
	PlanID     int64  `json:"job_plan_id"`
	Name       string `json:"name"`
	Operator   string `json:"operator"`
	LaunchMode int    `json:"launch_mode"`
	Status     int    `json:"status"`
	Type       int    `json:"type"`
	CreateTime int64  `json:"create_time"`
	StartTime  *int64 `json:"start_time"`
	EndTime    *int64 `json:"end_time"`
	TotalTime  *int64 `json:"total_time"`
}

// decodeList reads the tasks of a 200 answer and checks each as serve
// --recorded will.
func decodeList(body []byte) ([]bkjob.JobInstance, error) {
	var ans struct {
		Data *struct {
			List []listItem `json:"job_instance_list"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&ans); err != nil {
		return nil, fmt.Errorf("not the JSON of a task list: %v", err)
	}
	if ans.Data == nil || ans.Data.List == nil {
		return nil, errors.New("no data.job_instance_list in the answer")
	}
	out := make([]bkjob.JobInstance, 0, len(ans.Data.List))
	for i, it := range ans.Data.List {
		if it.ID == nil {
			return nil, fmt.Errorf("task %d of the page has no job_instance_id", i)
		}
		rec := recorded.Record{
			JobInstanceID: *it.ID, ScopeType: it.ScopeType, ScopeID: it.ScopeID, BizID: it.BizID,
			TemplateID: it.TemplateID, PlanID: it.PlanID, Name: it.Name, Operator: it.Operator,
			LaunchMode: it.LaunchMode, Status: it.Status, Type: it.Type, CreateTime: it.CreateTime,
			StartTime: it.StartTime, EndTime: it.EndTime, TotalTime: it.TotalTime, Hosts: []string{},
		}
		j, err := rec.Instance()
		if err != nil {
			return nil, fmt.Errorf("task %d of the page: %w", i, err)
		}
		out = append(out, j)
	}
	return out, nil
}

// openResume opens path to append to, after reading where its tasks stop:
// the cursor moves to the oldest create_time in it, and the ids written with
// that create_time are skipped. An incomplete last line (no newline) is cut.
func (r *recorder) openResume(path string) (*os.File, error) {
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, usagef("--resume: %v", err)
	}
	fail := func(err error) (*os.File, error) {
		file.Close()
		return nil, err
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return fail(fmt.Errorf("--resume %s: %w", path, err))
	}
	complete := bytes.LastIndexByte(data, '\n') + 1
	if complete < len(data) {
		fmt.Fprintf(r.log, "bkjob-mock record: %s: dropping an incomplete last line (%d bytes)\n", path, len(data)-complete)
		if err := file.Truncate(int64(complete)); err != nil {
			return fail(fmt.Errorf("--resume %s: %w", path, err))
		}
	}
	src, err := recorded.Read(bytes.NewReader(data[:complete]), r.flags.scope, path)
	if err != nil {
		return fail(usagef("--resume: %v", err))
	}
	if _, err := file.Seek(int64(complete), io.SeekStart); err != nil {
		return fail(fmt.Errorf("--resume %s: %w", path, err))
	}
	if src.Len() == 0 {
		return file, nil
	}
	src.Each(-1<<63, 1<<63-1, 1<<63-1, func(j bkjob.JobInstance) bool {
		r.cursor = min(r.cursor, j.CreateTime) // API order: the last is the oldest
		return true
	})
	src.Each(r.cursor, r.cursor, 1<<63-1, func(j bkjob.JobInstance) bool {
		r.seen[j.ID] = true
		return true
	})
	fmt.Fprintf(r.log, "bkjob-mock record: %s holds %d tasks; going on from %s\n", path, src.Len(), fmtMs(r.cursor))
	return file, nil
}

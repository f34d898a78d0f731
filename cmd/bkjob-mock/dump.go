package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

const dumpUsage = `Usage: bkjob-mock dump --scope TYPE:ID [flags]

Prints the job history the mock holds for one scope, as of an instant: every
task created in [--from, --to] and not yet archived, newest first (the API's
order), with the fields get_job_instance_list returns plus two it does not:
"job_cron_id" (the cron job that launched it, 0 for none; the API filters by
it) and "hosts" (targets, then file sources). Use the same --seed, --fixtures and --scale as the server
to see what it serves.

--seed, --now, --fixtures and --scale fall back to the environment variables
BKJOB_MOCK_SEED, BKJOB_MOCK_NOW, BKJOB_MOCK_FIXTURES and BKJOB_MOCK_SCALE, as
for serve; a flag wins.

Formats: jsonl (one JSON object per line; absent fields are omitted) or csv
(a header row; absent fields are empty; hosts separated by ";").

Flags:
`

// dumpFlags are the options of "dump".
type dumpFlags struct {
	history  historyFlags
	scope    string
	from, to string
	format   string
}

func (f *dumpFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.scope, "scope", "", "scope to dump, TYPE:ID (e.g. biz:2); required")
	fs.StringVar(&f.from, "from", "", "oldest create_time to print (RFC3339 or Unix ms); default: the start of the retention window")
	fs.StringVar(&f.to, "to", "", "newest create_time to print (RFC3339 or Unix ms); default: --now")
	fs.StringVar(&f.format, "format", "jsonl", "output format: jsonl or csv")
	f.history.register(fs, "the instant to dump as of (RFC3339 or Unix ms); default: the current time")
}

// runDump prints the history of one scope. Only the flags it shares with
// serve (historyFlagNames) fall back to BKJOB_MOCK_<FLAG>.
func runDump(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	var f dumpFlags
	f.register(fs)
	if err := parseFlags(fs, args, getenv, "BKJOB_MOCK_", historyFlagNames...); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, dumpUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usagef("dump: %v (see bkjob-mock dump --help)", err)
	}

	if f.scope == "" {
		return usagef("dump: --scope is required (e.g. --scope biz:2)")
	}
	scope, err := bkjob.ParseScope(f.scope)
	if err != nil {
		return usagef("dump: --scope %q: %v", f.scope, err)
	}
	if f.format != "jsonl" && f.format != "csv" {
		return usagef("dump: --format must be jsonl or csv, not %q", f.format)
	}
	hc, err := f.history.resolve()
	if err != nil {
		return usagef("dump: %v", err)
	}
	now := time.Now().UnixMilli()
	if hc.pinned {
		now = hc.now
	}
	from, to := int64(math.MinInt64), now
	if f.from != "" {
		if from, err = parseTime(f.from); err != nil {
			return usagef("dump: --from: %v", err)
		}
	}
	if f.to != "" {
		if to, err = parseTime(f.to); err != nil {
			return usagef("dump: --to: %v", err)
		}
	}
	if from > to {
		return usagef("dump: --from %s is after --to %s", fmtMs(from), fmtMs(to))
	}
	fx := hc.fixtures
	if _, ok := fx.LookupScope(scope); !ok {
		var have []string
		for _, s := range fx.Scopes {
			have = append(have, s.String())
		}
		return usagef("dump: --scope %s is not in the fixtures (they have %s)", scope, strings.Join(have, ", "))
	}
	if hc.seedPicked {
		fmt.Fprintf(stderr, "bkjob-mock dump: seed %d\n", hc.seed)
	}
	h := history.New(fx, history.Options{Seed: hc.seed, Scale: hc.scale})

	w := bufio.NewWriterSize(stdout, 64<<10)
	write := writeJSONL(w)
	if f.format == "csv" {
		write = writeCSV(w)
	}
	n := 0
	var werr error
	h.Each(scope, from, to, now, func(j bkjob.JobInstance) bool {
		if n++; n%4096 == 0 {
			if werr = ctx.Err(); werr != nil {
				return false
			}
		}
		werr = write(&j)
		return werr == nil
	})
	if werr == nil {
		werr = write(nil) // end of output
	}
	if werr == nil {
		werr = w.Flush()
	}
	return werr
}

// dumpColumns are the fields of a dumped task, in the API's names.
var dumpColumns = []string{
	"job_instance_id", "bk_scope_type", "bk_scope_id", "bk_biz_id", "job_template_id", "job_plan_id",
	"job_cron_id", "name", "operator", "launch_mode", "status", "type",
	"create_time", "start_time", "end_time", "total_time", "hosts",
}

// dumpRecord is a task as one JSON line, the format serve --recorded reads.
type dumpRecord = recorded.Record

func newDumpRecord(j *bkjob.JobInstance) dumpRecord { return recorded.NewRecord(j) }

// writeJSONL returns a writer of one JSON object per task; nil ends the output.
func writeJSONL(w io.Writer) func(*bkjob.JobInstance) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(j *bkjob.JobInstance) error {
		if j == nil {
			return nil
		}
		return enc.Encode(newDumpRecord(j))
	}
}

// writeCSV returns a writer of a header row then one row per task; nil ends the output.
func writeCSV(w io.Writer) func(*bkjob.JobInstance) error {
	cw := csv.NewWriter(w)
	header := false
	row := make([]string, len(dumpColumns))
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	return func(j *bkjob.JobInstance) error {
		if !header {
			header = true
			if err := cw.Write(dumpColumns); err != nil {
				return err
			}
		}
		if j == nil {
			cw.Flush()
			return cw.Error()
		}
		r := newDumpRecord(j)
		row = append(row[:0],
			num(&r.JobInstanceID), r.ScopeType, r.ScopeID, num(r.BizID),
			num(&r.TemplateID), num(&r.PlanID), num(&r.CronID), r.Name, r.Operator,
			strconv.Itoa(r.LaunchMode), strconv.Itoa(r.Status), strconv.Itoa(r.Type),
			num(&r.CreateTime), num(r.StartTime), num(r.EndTime), num(r.TotalTime),
			strings.Join(r.Hosts, ";"))
		return cw.Write(row)
	}
}

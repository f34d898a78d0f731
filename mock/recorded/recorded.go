// Package recorded serves a scope from recorded tasks instead of a generated
// history: the JSONL files that "bkjob-mock record" writes from a real server
// and "bkjob-mock dump" writes from the mock, one task per line (Record).
//
// A Source answers get_job_instance_list queries over its tasks with the
// semantics of the generated history (history.Filter for the filters; the
// window inclusive; create_time descending, then id ascending; offset and
// length), as of an instant now: tasks created after now are not visible yet,
// and the total_time of a running, waiting or stopping task is now minus its
// start_time. Every other field is served as recorded. A Source may be
// shifted in time (Shifted): every time moves by the same amount.
//
// The API does not say which hosts a task involved, nor its cron job: a
// recorded file has them only where it says so (hosts, job_cron_id), and the
// ip and job_cron_id filters match only such tasks.
package recorded

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// Limits of a recorded file: it is held in memory whole.
const (
	MaxTasks     = 5_000_000
	MaxLineBytes = 1 << 20
)

// Record is one task as a line of JSONL: the fields get_job_instance_list
// returns, in its names, plus job_cron_id and hosts (targets, then file
// sources), which the API does not return. Absent times are omitted.
type Record struct {
	JobInstanceID int64    `json:"job_instance_id"`
	ScopeType     string   `json:"bk_scope_type"`
	ScopeID       string   `json:"bk_scope_id"`
	BizID         *int64   `json:"bk_biz_id,omitempty"`
	TemplateID    int64    `json:"job_template_id"`
	PlanID        int64    `json:"job_plan_id"`
	CronID        int64    `json:"job_cron_id"`
	Name          string   `json:"name"`
	Operator      string   `json:"operator"`
	LaunchMode    int      `json:"launch_mode"`
	Status        int      `json:"status"`
	Type          int      `json:"type"`
	CreateTime    int64    `json:"create_time"`
	StartTime     *int64   `json:"start_time,omitempty"`
	EndTime       *int64   `json:"end_time,omitempty"`
	TotalTime     *int64   `json:"total_time,omitempty"`
	Hosts         []string `json:"hosts"`
}

// NewRecord returns the line of j.
func NewRecord(j *bkjob.JobInstance) Record {
	r := Record{
		JobInstanceID: j.ID, ScopeType: j.Scope.Type, ScopeID: j.Scope.ID,
		TemplateID: j.TemplateID, PlanID: j.PlanID, CronID: j.CronID,
		Name: j.Name, Operator: j.Operator,
		LaunchMode: int(j.LaunchMode), Status: int(j.Status), Type: int(j.Type),
		CreateTime: j.CreateTime, Hosts: j.Hosts,
	}
	if j.Scope.Type == bkjob.ScopeBiz {
		r.BizID = &j.BizID
	}
	if j.StartTime != 0 {
		r.StartTime = &j.StartTime
	}
	if j.EndTime != 0 {
		r.EndTime = &j.EndTime
	}
	if j.HasTotalTime {
		r.TotalTime = &j.TotalTime
	}
	if r.Hosts == nil {
		r.Hosts = []string{}
	}
	return r
}

// Instance returns the task of r, after checking what a server relies on:
// an id, a scope, a create_time and known enum values.
func (r *Record) Instance() (bkjob.JobInstance, error) {
	j := bkjob.JobInstance{
		ID: r.JobInstanceID, Scope: bkjob.Scope{Type: r.ScopeType, ID: r.ScopeID},
		TemplateID: r.TemplateID, PlanID: r.PlanID, CronID: r.CronID,
		Name: r.Name, Operator: r.Operator,
		LaunchMode: bkjob.LaunchMode(r.LaunchMode), Status: bkjob.Status(r.Status), Type: bkjob.TaskType(r.Type),
		CreateTime: r.CreateTime, Hosts: r.Hosts,
	}
	switch {
	case j.ID <= 0:
		return j, fmt.Errorf("job_instance_id must be a positive number, not %d", j.ID)
	case j.Scope.Type == "" || j.Scope.ID == "":
		return j, errors.New("bk_scope_type and bk_scope_id are required")
	case j.CreateTime <= 0:
		return j, fmt.Errorf("task %d: create_time must be a positive Unix ms time, not %d", j.ID, j.CreateTime)
	case !j.Status.Valid():
		return j, fmt.Errorf("task %d: status %d is not a status of the API", j.ID, r.Status)
	case !j.Type.Valid():
		return j, fmt.Errorf("task %d: type %d is not 0, 1 or 2", j.ID, r.Type)
	case !j.LaunchMode.Valid():
		return j, fmt.Errorf("task %d: launch_mode %d is not 1, 2 or 3", j.ID, r.LaunchMode)
	}
	if r.BizID != nil {
		j.BizID = *r.BizID
	} else if j.Scope.Type == bkjob.ScopeBiz {
		fmt.Sscan(j.Scope.ID, &j.BizID)
	}
	if r.StartTime != nil {
		j.StartTime = *r.StartTime
	}
	if r.EndTime != nil {
		j.EndTime = *r.EndTime
	}
	if r.TotalTime != nil {
		j.TotalTime, j.HasTotalTime = *r.TotalTime, true
	}
	return j, nil
}

// Source is the recorded tasks of one scope. It is safe for concurrent use.
type Source struct {
	scope  bkjob.Scope
	name   string              // where the tasks came from, for messages
	tasks  []bkjob.JobInstance // API order: create_time desc, id asc
	byID   map[int64]int       // index in tasks
	newest int64               // the latest create, start or end time
	shift  int64               // ms added to every time
}

// Load reads the recorded tasks of scope from the file at path (see Read).
func Load(path string, scope bkjob.Scope) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, scope, path)
}

// Read reads the tasks of scope, one Record per line, in any order; blank
// lines are skipped. Every line must be a task of scope with a distinct id;
// an unknown field, a bad value or a cut last line is an error naming the
// line. name is what errors call the input.
func Read(r io.Reader, scope bkjob.Scope, name string) (*Source, error) {
	s := &Source{scope: scope, name: name, byID: map[int64]int{}}
	firstLine := map[int64]int{}
	strs := map[string]string{} // names and operators repeat: keep one copy of each
	intern := func(v string) string {
		if c, ok := strs[v]; ok {
			return c
		}
		strs[v] = v
		return v
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		fail := func(err error) error { return fmt.Errorf("%s:%d: %w", name, line, err) }
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fail(fmt.Errorf("not a task in JSON (%v); a cut last line comes from an interrupted record: repair it with record --resume", err))
		}
		if dec.More() {
			return nil, fail(errors.New("more than one JSON value on the line"))
		}
		j, err := rec.Instance()
		if err != nil {
			return nil, fail(err)
		}
		if j.Scope != scope {
			return nil, fail(fmt.Errorf("task %d is of scope %s, not %s", j.ID, j.Scope, scope))
		}
		if first, dup := firstLine[j.ID]; dup {
			return nil, fail(fmt.Errorf("task %d again (first on line %d)", j.ID, first))
		}
		if len(s.tasks) == MaxTasks {
			return nil, fail(fmt.Errorf("more than %d tasks: record a shorter window", MaxTasks))
		}
		firstLine[j.ID] = line
		j.Scope, j.Name, j.Operator = scope, intern(j.Name), intern(j.Operator)
		s.tasks = append(s.tasks, j)
		s.newest = max(s.newest, j.CreateTime, j.StartTime, j.EndTime)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: a line longer than %d bytes", name, line+1, MaxLineBytes)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sort.Slice(s.tasks, func(a, b int) bool {
		ta, tb := &s.tasks[a], &s.tasks[b]
		if ta.CreateTime != tb.CreateTime {
			return ta.CreateTime > tb.CreateTime
		}
		return ta.ID < tb.ID
	})
	for i := range s.tasks {
		s.byID[s.tasks[i].ID] = i
	}
	return s, nil
}

// Scope returns the scope the tasks belong to.
func (s *Source) Scope() bkjob.Scope { return s.scope }

// Name returns where the tasks were read from.
func (s *Source) Name() string { return s.name }

// Len returns the number of tasks.
func (s *Source) Len() int { return len(s.tasks) }

// Newest returns the latest create, start or end time of the tasks as
// served (shift included), or 0 when there are none.
func (s *Source) Newest() int64 {
	if len(s.tasks) == 0 {
		return 0
	}
	return s.newest + s.shift
}

// Shift returns how far the times are moved (ms).
func (s *Source) Shift() int64 { return s.shift }

// Shifted returns the source with every time moved by d ms more: create,
// start and end times; durations stay.
func (s *Source) Shifted(d int64) *Source {
	c := *s
	c.shift += d
	return &c
}

// ShiftedTo returns the source shifted so that its newest time is now.
func (s *Source) ShiftedTo(now int64) *Source {
	if len(s.tasks) == 0 {
		return s
	}
	return s.Shifted(now - s.Newest())
}

// List answers a get_job_instance_list query as of now (Unix ms), as
// history.History.List does over the generated history. The query's scope
// must be the source's; the result is never nil.
func (s *Source) List(q bkjob.Query, now int64) []bkjob.JobInstance {
	out := []bkjob.JobInstance{}
	if q.Scope != s.scope || q.Length <= 0 {
		return out
	}
	skip := max(q.Offset, 0)
	f := history.NewFilter(q)
	if q.JobInstanceID > 0 {
		i, ok := s.byID[q.JobInstanceID]
		if !ok || skip > 0 || !s.visible(&s.tasks[i], now) || !f.Match(&s.tasks[i]) {
			return out
		}
		return append(out, s.instance(&s.tasks[i], now))
	}
	i, j := s.span(q.CreateTimeStart, min(q.CreateTimeEnd, now))
	for ; i < j; i++ {
		t := &s.tasks[i]
		if !f.Match(t) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, s.instance(t, now))
		if len(out) == q.Length {
			break
		}
	}
	return out
}

// Each calls fn for every task created in [from, to] (inclusive, Unix ms,
// shift included) and visible at now, in API order, until fn returns false.
func (s *Source) Each(from, to, now int64, fn func(bkjob.JobInstance) bool) {
	i, j := s.span(from, min(to, now))
	for ; i < j; i++ {
		if !fn(s.instance(&s.tasks[i], now)) {
			return
		}
	}
}

// span returns the range of tasks created in [lo, hi] as served.
func (s *Source) span(lo, hi int64) (i, j int) {
	lo, hi = sub(lo, s.shift), sub(hi, s.shift)
	if lo > hi {
		return 0, 0
	}
	ts := s.tasks
	i = sort.Search(len(ts), func(k int) bool { return ts[k].CreateTime <= hi })
	j = i + sort.Search(len(ts)-i, func(k int) bool { return ts[i+k].CreateTime < lo })
	return i, j
}

func (s *Source) visible(t *bkjob.JobInstance, now int64) bool {
	return t.CreateTime <= sub(now, s.shift)
}

// instance returns t as served at now: shifted, total_time live while it runs.
func (s *Source) instance(t *bkjob.JobInstance, now int64) bkjob.JobInstance {
	j := *t
	j.CreateTime += s.shift
	if j.StartTime != 0 {
		j.StartTime += s.shift
	}
	if j.EndTime != 0 {
		j.EndTime += s.shift
	}
	if j.Status.LiveTotalTime() && j.StartTime != 0 {
		j.TotalTime, j.HasTotalTime = max(now-j.StartTime, 0), true
	}
	return j
}

// sub returns a-b, saturated to the int64 range.
func sub(a, b int64) int64 {
	d := a - b
	switch {
	case b > 0 && d > a:
		return math.MinInt64
	case b < 0 && d < a:
		return math.MaxInt64
	}
	return d
}

// Package history generates the job history the mock serves and answers
// get_job_instance_list queries over it.
//
// The history is a pure function of the fixtures and a seed, laid out on
// absolute time: every minute of every scope draws its tasks from its own
// gofakeit instance, seeded from (seed, scope, minute). A query as of an
// instant now sees the tasks created in [now−Retention, now], with the status
// each has at now; a later now reveals more of the same timeline and moves
// statuses forward, but never changes a task's data.
//
// Ids are FirstID + minute*M + slot, minute counted from Epoch, M the smallest
// power of ten (at least 10,000) holding every scope's slots; each scope owns a
// range of slots per minute and numbers its tasks in creation order. So ids
// grow with create_time within a scope (across scopes, only minute by minute)
// and decode back to their minute (MinuteOf) for a constant-time lookup.
//
// Cron jobs fire at second 0 of their minutes; other tasks arrive as a Poisson
// process whose rate follows the day in Asia/Shanghai and averages the scope's
// tasks_per_minute over a week.
//
// Tasks are kept as compact 40-byte records (small indices into per-scope
// pools, hosts as a 64-bit mask), generated lazily one UTC day per scope at a
// time, when a query first needs it, and cached.
//
// Memory is a function of the configuration, never of the traffic: a query
// never generates a day outside the window [now−Retention, now] (an id whose
// minute lies outside answers the empty list at once), and a scope keeps at
// most Retention in whole days + 2 days (32 by default): the days of the
// window and the one just before it. Days that leave the window as now
// advances are dropped. So the resident size is bounded, per scope, by
//
//	tasks per day × (retention days + 2) × 40 B
//	≈ tasks_per_minute × scale × 1440 × 32 × 40 B   (default retention)
//
// plus cron runs: about 7.4 MB for a scope of 4 tasks per minute at scale 1,
// 7.4 GB at scale 1000. (A day of the busiest week runs up to 1.25 times the
// mean rate, a 32-day span up to 1.04 times; no minute exceeds the scope's
// slots per minute, a hard cap well above its peak.) The first query that
// scans the whole window generates every day of it, at about 270 ns per
// task on one core: the price of --scale is paid there.
package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// Layout of time and ids.
const (
	// FirstID is the id of the first slot of the first minute of history.
	// Real job instance ids start at 20000000000 and grow with time.
	FirstID int64 = 20000000000
	// Epoch (2020-01-01T00:00:00Z, Unix ms) is when history starts; nothing is older.
	Epoch int64 = 1577836800000
	// End (3000-01-01T00:00:00Z, Unix ms) is when history ends; nothing is newer.
	End int64 = 32503680000000
	// DefaultRetention is how long tasks stay visible: the real server archives
	// history older than about 30 days.
	DefaultRetention = 30 * 24 * time.Hour

	minuteMs     = 60_000
	chunkMinutes = 24 * 60
	chunkMs      = chunkMinutes * minuteMs
	maxPerMinute = 1_000_000_000 // id space of one minute; bigger would overflow int64 before End
)

// Options tune a History.
type Options struct {
	Seed      int64         // must be non-zero (the CLI picks one for 0)
	Scale     float64       // multiplies every scope's tasks_per_minute; 0 means 1
	Retention time.Duration // 0 means 30 days
	// Budget bounds the time ListContext and EachContext spend on one query,
	// generating and reading days; past it they return a *BudgetError.
	// 0 means no bound.
	Budget time.Duration
}

// History is the generated job history of every scope of a fixtures file.
// It is safe for concurrent use.
type History struct {
	retention int64 // ms
	budget    time.Duration
	gen       chan struct{} // a slot per day being generated
	perMinute int64         // ids per minute: id = FirstID + minute*perMinute + slot
	scopes    map[bkjob.Scope]*scopeHistory
}

// Check reports whether New accepts opt for fx: a non-zero seed, a scale that
// is 0 or a positive number, and scaled rates whose ids fit (a scale in the
// hundreds of thousands does not).
func (opt Options) Check(fx *fixtures.Fixtures) error {
	if opt.Seed == 0 {
		return errors.New("history: the seed must not be 0")
	}
	if opt.Scale < 0 || math.IsNaN(opt.Scale) || math.IsInf(opt.Scale, 0) {
		return fmt.Errorf("history: the scale must be a positive number, not %v", opt.Scale)
	}
	_, slots := layout(fx, opt)
	if slots > maxPerMinute {
		return fmt.Errorf("history: scale %v makes up to %d tasks per minute possible; ids have room for %d", opt.Scale, slots, maxPerMinute)
	}
	return nil
}

// layout builds the scopes' histories and returns the ids needed per minute.
func layout(fx *fixtures.Fixtures, opt Options) ([]*scopeHistory, int64) {
	scale := opt.Scale
	if scale == 0 {
		scale = 1
	}
	var out []*scopeHistory
	var slots int64
	for i := range fx.Scopes {
		s := newScopeHistory(&fx.Scopes[i], opt.Seed, scale)
		s.slotBase = slots
		slots += s.slotCap
		out = append(out, s)
	}
	return out, slots
}

// New returns the history of fx. It generates nothing yet: each day of each
// scope is generated when a query first needs it.
//
// New panics if opt.Check(fx) reports an error.
func New(fx *fixtures.Fixtures, opt Options) *History {
	if err := opt.Check(fx); err != nil {
		panic(err)
	}
	if opt.Retention <= 0 {
		opt.Retention = DefaultRetention
	}
	h := &History{
		retention: opt.Retention.Milliseconds(),
		budget:    opt.Budget,
		gen:       make(chan struct{}, runtime.GOMAXPROCS(0)),
		scopes:    make(map[bkjob.Scope]*scopeHistory, len(fx.Scopes)),
	}
	all, slots := layout(fx, opt)
	ring := (h.retention+chunkMs-1)/chunkMs + 2
	for _, s := range all {
		s.ring = ring
		h.scopes[s.scope] = s
	}
	h.perMinute = 10_000
	for h.perMinute < slots {
		h.perMinute *= 10
	}
	return h
}

// List answers a get_job_instance_list query as of now (Unix ms): filters,
// order (create_time descending, then id ascending) and paging. The scope must
// exist in the fixtures (the server checks before); an unknown scope gets an
// empty list. The result is never nil.
//
// With JobInstanceID > 0 only the scope, the id and IP apply; Offset and Length
// still do. Length ≤ 0 gives an empty list; a negative Offset counts as 0.
func (h *History) List(q bkjob.Query, now int64) []bkjob.JobInstance {
	out, _ := h.list(context.Background(), nil, q, now, false, true)
	return out
}

// ListContext is List within the history's budget (Options.Budget) and ctx:
// when a day the query needs is still being generated, or reading takes
// longer, at the budget it returns what it found so far with a *BudgetError
// (the generation goes on in the background, so a retry finds more days
// ready), and it returns ctx's error when ctx ends first.
func (h *History) ListContext(ctx context.Context, q bkjob.Query, now int64) ([]bkjob.JobInstance, error) {
	return h.list(ctx, nil, q, now, true, true)
}

// AppendPage appends to dst the page ListContext returns, except that the
// instances' Hosts are left nil: the API does not report them, so a server
// that only encodes pages need not make them. With a dst of enough capacity
// (a pooled one) a page allocates nothing.
func (h *History) AppendPage(ctx context.Context, dst []bkjob.JobInstance, q bkjob.Query, now int64) ([]bkjob.JobInstance, error) {
	return h.list(ctx, dst, q, now, true, false)
}

// list appends the page of q to dst (nil: a new slice); withHosts fills each
// instance's Hosts.
func (h *History) list(ctx context.Context, dst []bkjob.JobInstance, q bkjob.Query, now int64, bounded, withHosts bool) ([]bkjob.JobInstance, error) {
	out := dst
	if out == nil {
		out = []bkjob.JobInstance{}
	}
	s := h.scopes[q.Scope]
	if s == nil || q.Length <= 0 {
		return out, nil
	}
	if dst == nil {
		out = make([]bkjob.JobInstance, 0, min(q.Length, maxPrealloc)) // one allocation for a page
	}
	first := len(out)
	skip := max(q.Offset, 0)
	m, ok := s.matcher(q, now)
	if !ok {
		return out, nil
	}
	w := h.waiter(ctx, bounded, 1)
	if q.JobInstanceID > 0 {
		if skip > 0 {
			return out, nil
		}
		c, i, err := h.lookup(&w, s, q.JobInstanceID, now)
		if err != nil || c == nil {
			return out, err
		}
		t := &c.tasks[i]
		create := c.start + int64(t.off)
		lo, hi := h.window(math.MinInt64, math.MaxInt64, now)
		if create < lo || create > hi || !m.matchIP(t) {
			return out, nil
		}
		return append(out, h.instance(s, c, t, now, nil, withHosts)), nil
	}
	lo, hi := h.window(q.CreateTimeStart, q.CreateTimeEnd, now)
	if lo > hi {
		return out, nil
	}
	w.days = dayOf(hi) - dayOf(lo) + 1
	var hosts []string // the page's hosts share their backing arrays
	for day := dayOf(hi); day >= dayOf(lo); day-- {
		c := h.chunk(s, day, now)
		if day < dayOf(hi) && day > dayOf(lo) {
			h.chunk(s, day-1, now) // a scan past its first day reads ahead: the next day generates while this one is read
		}
		if err := w.wait(c, dayOf(hi)-day); err != nil {
			h.ahead(s, day, dayOf(lo), now)
			return out, err
		}
		if !m.may(&c.sum) {
			continue
		}
		i, j := c.span(lo, hi)
		for ; i < j; i++ {
			t := &c.tasks[i]
			if !m.match(t, c.start) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, h.instance(s, c, t, now, &hosts, withHosts))
			if len(out)-first == q.Length {
				return out, nil
			}
		}
	}
	return out, nil
}

// hostsChunk is how many hosts List makes room for at a time.
const hostsChunk = 64

// maxPrealloc bounds the room List makes for a page before it finds its
// items (the API's largest page is 200).
const maxPrealloc = 200

// Each calls fn for every task of scope created in [from, to] (inclusive,
// Unix ms) and visible at now, in API order (create_time desc, id asc), until
// fn returns false.
func (h *History) Each(scope bkjob.Scope, from, to, now int64, fn func(bkjob.JobInstance) bool) {
	h.each(context.Background(), scope, from, to, now, fn, false)
}

// EachContext is Each within the history's budget and ctx, as ListContext.
func (h *History) EachContext(ctx context.Context, scope bkjob.Scope, from, to, now int64, fn func(bkjob.JobInstance) bool) error {
	return h.each(ctx, scope, from, to, now, fn, true)
}

func (h *History) each(ctx context.Context, scope bkjob.Scope, from, to, now int64, fn func(bkjob.JobInstance) bool, bounded bool) error {
	s := h.scopes[scope]
	if s == nil {
		return nil
	}
	lo, hi := h.window(from, to, now)
	if lo > hi {
		return nil
	}
	w := h.waiter(ctx, bounded, dayOf(hi)-dayOf(lo)+1)
	for day := dayOf(hi); day >= dayOf(lo); day-- {
		c := h.chunk(s, day, now)
		if day > dayOf(lo) {
			h.chunk(s, day-1, now)
		}
		if err := w.wait(c, dayOf(hi)-day); err != nil {
			h.ahead(s, day, dayOf(lo), now)
			return err
		}
		i, j := c.span(lo, hi)
		for ; i < j; i++ {
			if !fn(h.instance(s, c, &c.tasks[i], now, nil, true)) {
				return nil
			}
		}
	}
	return nil
}

// ahead starts generating days from down to to of s (those not started yet),
// for the retry of a query that ran out of budget.
func (h *History) ahead(s *scopeHistory, from, to, now int64) {
	for day := from; day >= to; day-- {
		h.chunk(s, day, now)
	}
}

// BudgetError is the error of a query that needed more than the history's
// budget: Read days of Days were read in time.
type BudgetError struct {
	Budget     time.Duration
	Read, Days int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("the query needs more than its budget of %v: it read %d of the %d days it needs; "+
		"the others are being generated, so a retry finds more of them ready (or narrow the window, or lower --scale)", e.Budget, e.Read, e.Days)
}

// waiter waits for the days of one query, within its budget.
type waiter struct {
	ctx      context.Context
	budget   time.Duration
	deadline time.Time // zero until the query first has to wait or read a second day
	days     int64     // days the query would read, for errors
}

func (h *History) waiter(ctx context.Context, bounded bool, days int64) waiter {
	w := waiter{ctx: ctx, days: days}
	if bounded {
		w.budget = h.budget
	}
	return w
}

// wait returns when c is ready, with a *BudgetError once the budget is spent
// or ctx's error; read is how many days the query has read before c.
func (w *waiter) wait(c *chunk, read int64) error {
	select {
	case <-c.ready:
		if read == 0 || w.budget == 0 {
			return nil
		}
	default:
	}
	if w.budget > 0 {
		if w.deadline.IsZero() {
			w.deadline = time.Now().Add(w.budget)
		}
		left := time.Until(w.deadline)
		if left <= 0 {
			return &BudgetError{Budget: w.budget, Read: read, Days: w.days}
		}
		select {
		case <-c.ready:
			return nil
		default:
		}
		t := time.NewTimer(left)
		defer t.Stop()
		select {
		case <-c.ready:
			return nil
		case <-w.ctx.Done():
			return w.ctx.Err()
		case <-t.C:
			return &BudgetError{Budget: w.budget, Read: read, Days: w.days}
		}
	}
	select {
	case <-c.ready:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

// taskBytes is the size of a task record (see TestTaskSize).
const taskBytes = 40

// MaxBytes returns the documented bound on the memory h holds: per scope,
// the tasks of its busiest days (1.25 times the mean rate, plus cron runs)
// over the days it keeps, and the days being generated (each one twice:
// generated, then copied to its exact size).
func (h *History) MaxBytes() int64 {
	total, biggest := 0.0, 0.0
	for _, s := range h.scopes {
		perDay := s.rate * chunkMinutes * 1.25
		for _, c := range s.crons {
			perDay += math.Ceil(chunkMinutes / float64(c.every))
		}
		perDay = min(perDay, float64(s.slotCap*chunkMinutes))
		total += perDay * float64(s.ring) * taskBytes
		biggest = max(biggest, perDay*taskBytes)
	}
	return int64(total + 2*biggest*float64(cap(h.gen)))
}

// Stats is what a History holds now.
type Stats struct {
	Days  int   // days held, over all scopes
	Tasks int64 // their tasks
	Bytes int64 // their records' size
}

// Stats returns what h holds now; days still being generated count as empty.
func (h *History) Stats() Stats {
	var st Stats
	for _, s := range h.scopes {
		s.mu.Lock()
		for _, c := range s.chunks {
			select {
			case <-c.ready:
				st.Days++
				st.Tasks += int64(len(c.tasks))
			default:
			}
		}
		s.mu.Unlock()
	}
	st.Bytes = st.Tasks * taskBytes
	return st
}

// MinuteOf returns the start (Unix ms) of the minute a job instance id was
// created in, and whether the id is one this history could have made.
func (h *History) MinuteOf(id int64) (int64, bool) {
	rel := id - FirstID
	if rel < 0 {
		return 0, false
	}
	minute := rel / h.perMinute
	if minute >= (End-Epoch)/minuteMs {
		return 0, false
	}
	return Epoch + minute*minuteMs, true
}

// IDRange returns the ids the history gives to tasks created in the minute
// containing ms (Unix ms, clamped to [Epoch, End)): every id in [first, last]
// decodes with MinuteOf to that minute, and the ranges of consecutive minutes
// are adjacent. Its width grows with the scale: the scopes' tasks of one
// minute take the slots at the start of the range.
func (h *History) IDRange(ms int64) (first, last int64) {
	ms = min(max(ms, Epoch), End-1)
	first = FirstID + (ms-Epoch)/minuteMs*h.perMinute
	return first, first + h.perMinute - 1
}

// window clamps [from, to] to what is visible at now.
func (h *History) window(from, to, now int64) (lo, hi int64) {
	oldest := Epoch
	if now-h.retention > oldest && now-h.retention < now { // no overflow
		oldest = now - h.retention
	}
	lo = max(from, oldest)
	hi = min(to, now, End-1)
	return lo, hi
}

func dayOf(ms int64) int64 { return (ms - Epoch) / chunkMs }

// chunk returns day number day of s as of now, dropping the days that have
// left the window at now (and keeping the one just before it).
func (h *History) chunk(s *scopeHistory, day, now int64) *chunk {
	oldest, _ := h.window(math.MinInt64, math.MaxInt64, now)
	return s.chunk(day, dayOf(oldest)-1, h.gen)
}

// lookup finds the task with id in scope s, if its minute is visible at now
// (c is nil when there is none): an id from outside the window generates
// nothing.
func (h *History) lookup(w *waiter, s *scopeHistory, id, now int64) (*chunk, int, error) {
	start, ok := h.MinuteOf(id)
	if !ok {
		return nil, 0, nil
	}
	if lo, hi := h.window(math.MinInt64, math.MaxInt64, now); start+minuteMs-1 < lo || start > hi {
		return nil, 0, nil
	}
	slot := (id-FirstID)%h.perMinute - s.slotBase
	if slot < 0 || slot >= s.slotCap {
		return nil, 0, nil
	}
	c := h.chunk(s, dayOf(start), now)
	if err := w.wait(c, 0); err != nil {
		return nil, 0, err
	}
	i, j := c.span(start, start+minuteMs-1)
	for ; i < j; i++ {
		if int64(c.tasks[i].slot) == slot {
			return c, i, nil
		}
	}
	return nil, 0, nil
}

// instance renders task t of chunk c as the API reports it at now.
//
// Without withHosts its Hosts are left nil. With hosts not nil, the
// instance's Hosts are appended to *hosts (a new array of hostsChunk when
// full), so that a page allocates them a few times rather than once per
// instance.
func (h *History) instance(s *scopeHistory, c *chunk, t *task, now int64, hosts *[]string, withHosts bool) bkjob.JobInstance {
	create := c.start + int64(t.off)
	minute := (create - Epoch) / minuteMs
	ji := bkjob.JobInstance{
		ID:         FirstID + minute*h.perMinute + s.slotBase + int64(t.slot),
		Scope:      s.scope,
		BizID:      s.bizID,
		TemplateID: -1,
		PlanID:     -1,
		Name:       s.names[t.name],
		Operator:   s.ops[t.op],
		LaunchMode: t.launch(),
		Type:       t.typ(),
		CreateTime: create,
	}
	switch {
	case ji.LaunchMode == bkjob.LaunchCron:
		cr := &s.crons[t.ref]
		ji.CronID = cr.id
		ji.PlanID, ji.TemplateID = s.plans[cr.plan].id, s.plans[cr.plan].template
	case ji.Type == bkjob.TypePlan:
		ji.PlanID, ji.TemplateID = s.plans[t.ref].id, s.plans[t.ref].template
	}
	ji.Status = t.status(create, now)
	start, end := t.times(create)
	switch {
	case ji.Status == bkjob.StatusBlank:
	case ji.Status.Finished():
		ji.StartTime, ji.EndTime = start, end
		ji.TotalTime, ji.HasTotalTime = end-start, true
	case ji.Status.LiveTotalTime():
		ji.StartTime = start
		ji.TotalTime, ji.HasTotalTime = now-start, true
	default: // rolling waiting
		ji.StartTime = start
	}
	if !withHosts {
		return ji
	}
	n := bits.OnesCount64(t.targets | t.sources)
	var buf []string
	if hosts != nil {
		if cap(*hosts)-len(*hosts) < n {
			*hosts = make([]string, 0, max(n, hostsChunk))
		}
		buf = *hosts
	} else {
		buf = make([]string, 0, n)
	}
	first := len(buf)
	for m := t.targets; m != 0; m &= m - 1 {
		buf = append(buf, s.hosts[bits.TrailingZeros64(m)])
	}
	for m := t.sources &^ t.targets; m != 0; m &= m - 1 {
		buf = append(buf, s.hosts[bits.TrailingZeros64(m)])
	}
	ji.Hosts = buf[first:len(buf):len(buf)] // capped: appending to it never reaches the next one's
	if hosts != nil {
		*hosts = buf
	}
	return ji
}

// matcher is a query compiled against one scope's pools: the name and
// operator filters are evaluated once per pool entry, not once per task.
type matcher struct {
	kindMask, kind uint8  // type and launch mode bits
	cron           int    // cron index, or -1 for any
	hostMask       uint64 // 0: any
	ops, names     []bool // nil: any
	status         bkjob.Status
	now            int64

	kinds, opBits, nameBits uint64 // what may, over a day's summary
}

// matcher compiles q; ok is false when q can match nothing in s.
func (s *scopeHistory) matcher(q bkjob.Query, now int64) (m matcher, ok bool) {
	m = matcher{cron: -1, now: now, opBits: ^uint64(0), nameBits: ^uint64(0)}
	defer func() {
		for k := range 16 { // kinds are 4 bits: type | launch mode<<2
			if uint8(k)&m.kindMask == m.kind {
				m.kinds |= 1 << k
			}
		}
		if m.ops != nil {
			m.opBits = bitsOf(m.ops)
		}
		if m.names != nil {
			m.nameBits = bitsOf(m.names)
		}
	}()
	if q.IP != "" {
		i, found := s.hostIndex[q.IP]
		if !found {
			return m, false
		}
		m.hostMask = 1 << i
	}
	if q.JobInstanceID > 0 {
		return m, true
	}
	if strings.TrimSpace(q.Operator) != "" {
		m.ops = make([]bool, len(s.ops))
		any := false
		for i, op := range s.ops {
			m.ops[i] = strings.EqualFold(op, q.Operator)
			any = any || m.ops[i]
		}
		if !any {
			return m, false
		}
	}
	if strings.TrimSpace(q.Name) != "" {
		m.names = make([]bool, len(s.names))
		any := false
		pat := newLike(q.Name)
		for i, n := range s.names {
			m.names[i] = pat.contains(n)
			any = any || m.names[i]
		}
		if !any {
			return m, false
		}
	}
	if q.Type != nil {
		if !q.Type.Valid() {
			return m, false
		}
		m.kindMask |= typeMask
		m.kind |= uint8(*q.Type)
	}
	if q.LaunchMode != nil {
		if !q.LaunchMode.Valid() {
			return m, false
		}
		m.kindMask |= launchMask
		m.kind |= uint8(*q.LaunchMode) << launchShift
	}
	if q.JobCronID > 0 {
		for i, c := range s.crons {
			if c.id == q.JobCronID {
				m.cron = i
			}
		}
		if m.cron < 0 {
			return m, false
		}
	}
	if q.Status != nil {
		if !q.Status.Valid() {
			return m, false
		}
		m.status = *q.Status
	}
	return m, true
}

// bitsOf sets bit i mod 64 for every true in set.
func bitsOf(set []bool) uint64 {
	var b uint64
	for i, ok := range set {
		if ok {
			b |= 1 << (i & 63)
		}
	}
	return b
}

func (m *matcher) matchIP(t *task) bool {
	return m.hostMask == 0 || (t.targets|t.sources)&m.hostMask != 0
}

func (m *matcher) match(t *task, start int64) bool {
	switch {
	case t.kind&m.kindMask != m.kind,
		m.hostMask != 0 && (t.targets|t.sources)&m.hostMask == 0,
		m.ops != nil && !m.ops[t.op],
		m.names != nil && !m.names[t.name],
		m.cron >= 0 && (t.launch() != bkjob.LaunchCron || int(t.ref) != m.cron),
		m.status != 0 && t.status(start+int64(t.off), m.now) != m.status:
		return false
	}
	return true
}

// chunk is one day (UTC) of one scope's history.
type chunk struct {
	once  sync.Once
	ready chan struct{} // closed once tasks and sum are set
	day   int64         // days since Epoch
	start int64         // Unix ms of its first minute
	tasks []task        // in API order: create_time desc, id asc
	sum   summary
}

// summary is what a day's tasks hold, so that a query can pass over a day
// none of whose tasks can match without reading them. Operators, names and
// crons are kept as bits of their index mod 64: a set bit may be a false
// positive, never a false negative.
type summary struct {
	kinds   uint64 // bit k: some task has kind k
	hosts   uint64 // union of every task's targets and sources
	ops     uint64
	names   uint64
	crons   uint64 // over the cron runs' cron indices
	final   uint64 // bit s: some task ends with status s
	settled int64  // Unix ms by which every task has ended (its status final)
}

func summarize(start int64, ts []task) summary {
	var u summary
	for i := range ts {
		t := &ts[i]
		u.kinds |= 1 << (t.kind & 63)
		u.hosts |= t.targets | t.sources
		u.ops |= 1 << (t.op & 63)
		u.names |= 1 << (t.name & 63)
		if t.launch() == bkjob.LaunchCron {
			u.crons |= 1 << (t.ref & 63)
		}
		u.final |= 1 << (t.st & 0xf)
		_, end := t.times(start + int64(t.off))
		u.settled = max(u.settled, end)
	}
	return u
}

// may reports whether some task of a day summed up in u may match.
func (m *matcher) may(u *summary) bool {
	switch {
	case u.kinds&m.kinds == 0,
		m.hostMask != 0 && u.hosts&m.hostMask == 0,
		u.ops&m.opBits == 0,
		u.names&m.nameBits == 0,
		m.cron >= 0 && u.crons&(1<<(m.cron&63)) == 0,
		m.status != 0 && m.now >= u.settled && u.final&(1<<(uint(m.status)&63)) == 0:
		return false
	}
	return true
}

// span returns the range of tasks created in [lo, hi].
func (c *chunk) span(lo, hi int64) (i, j int) {
	if hi < c.start || lo >= c.start+chunkMs {
		return 0, 0
	}
	hiOff := uint32(min(hi-c.start, chunkMs-1))
	loOff := uint32(max(lo-c.start, 0))
	ts := c.tasks
	i = sort.Search(len(ts), func(k int) bool { return ts[k].off <= hiOff })
	j = i + sort.Search(len(ts)-i, func(k int) bool { return ts[i+k].off < loOff })
	return i, j
}

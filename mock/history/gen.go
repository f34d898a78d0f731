package history

import (
	"math"
	"math/bits"
	"math/rand"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/brianvoe/gofakeit/v6"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// task is one job instance in compact form (40 bytes). Everything else (id,
// names, plan ids, status, times at an instant) is derived from it, its chunk
// and its scope's pools.
type task struct {
	targets uint64 // target hosts: bits over the scope's host pool
	sources uint64 // file-source hosts (file tasks only)
	off     uint32 // create_time − chunk start, ms
	slot    uint32 // sequence number in its minute: id = … + slotBase + slot
	delay   uint32 // start_time − create_time, ms
	dur     uint32 // end_time − start_time, ms
	name    uint16 // index into scopeHistory.names
	ref     uint16 // plan index (type 0, not cron) or cron index (cron)
	op      uint16 // index into scopeHistory.ops
	kind    uint8  // type | launch mode<<launchShift
	st      uint8  // final status | in-flight status<<4
}

const (
	typeMask    = 0b0011
	launchShift = 2
	launchMask  = 0b1100
	stopWindow  = 10_000 // longest "stopping" phase before a stop succeeds, ms
)

func (t *task) typ() bkjob.TaskType      { return bkjob.TaskType(t.kind & typeMask) }
func (t *task) launch() bkjob.LaunchMode { return bkjob.LaunchMode(t.kind >> launchShift) }

// times returns the planned start and end of a task created at create.
func (t *task) times(create int64) (start, end int64) {
	start = create + int64(t.delay)
	return start, start + int64(t.dur)
}

// status returns the status at now of a task created at create: waiting
// before it starts, its in-flight status while it runs (with a brief stopping
// phase before a forced stop succeeds), its final status afterwards.
func (t *task) status(create, now int64) bkjob.Status {
	start := create + int64(t.delay)
	if now < start {
		return bkjob.StatusBlank
	}
	end := start + int64(t.dur)
	if now >= end {
		return bkjob.Status(t.st & 0xf)
	}
	if bkjob.Status(t.st&0xf) == bkjob.StatusStopSuccess && now >= end-min(int64(t.dur)/4, stopWindow) {
		return bkjob.StatusStopping
	}
	return bkjob.Status(t.st >> 4)
}

// scopeHistory is one scope's pools and its cache of generated days.
type scopeHistory struct {
	scope    bkjob.Scope
	bizID    int64
	rate     float64 // mean non-cron tasks per minute, scale applied
	slotBase int64   // first slot of this scope in every minute's id space
	slotCap  int64   // slots of this scope per minute
	key      uint64  // hash of (seed, scope)

	hosts     []string
	hostIndex map[string]int
	allHosts  uint64
	ops       []string
	opCum     []float64 // cumulative pick weights over ops (cron-only operators weigh 0)
	names     []string  // every distinct name: plans, crons, quick tasks
	plans     []plan
	planCum   []float64
	crons     []cron
	quick     [3][2][]uint16 // [type][launch web=0, api=1] → name indices
	typeCum   [3]float64     // cumulative probabilities of types 0, 1, 2

	mu     sync.Mutex
	ring   int64            // days kept: retention in whole days + 2
	chunks map[int64]*chunk // day mod ring → that day
	kept   int64            // days before this one have been dropped
	made   atomic.Int64     // days generated, for tests
}

type plan struct {
	id, template int64
	name         uint16
}

type cron struct {
	id            int64
	name          uint16
	plan          uint16
	every, offset int64
	op            uint16
}

func newScopeHistory(fs *fixtures.Scope, seed int64, scale float64) *scopeHistory {
	s := &scopeHistory{
		scope:     bkjob.Scope{Type: fs.Type, ID: fs.ID},
		rate:      fs.TasksPerMinute * scale,
		key:       mix64(uint64(seed)) ^ fnv64(fs.Type+":"+fs.ID),
		hosts:     fs.Hosts,
		hostIndex: make(map[string]int, len(fs.Hosts)),
		chunks:    map[int64]*chunk{},
	}
	if fs.Type == bkjob.ScopeBiz {
		s.bizID = fs.Num
	}
	for i, h := range fs.Hosts {
		// Only plain IPv4 addresses match (fixtures are validated, this is belt and braces).
		if a, err := netip.ParseAddr(h); err == nil && a.Is4() && a.String() == h {
			s.hostIndex[h] = i
			s.allHosts |= 1 << i
		}
	}
	nameIndex := map[string]uint16{}
	name := func(n string) uint16 {
		i, ok := nameIndex[n]
		if !ok {
			i = uint16(len(s.names))
			nameIndex[n] = i
			s.names = append(s.names, n)
		}
		return i
	}
	// Operators listed first launch the most tasks (weights 1, 1/2, 1/3, ...).
	s.ops = append([]string(nil), fs.Operators...)
	w := make([]float64, len(s.ops))
	for i := range w {
		w[i] = 1 / float64(i+1)
	}
	opIndex := func(n string) uint16 {
		if i := slices.Index(s.ops, n); i >= 0 {
			return uint16(i)
		}
		s.ops = append(s.ops, n)
		w = append(w, 0)
		return uint16(len(s.ops) - 1)
	}
	planIndex := map[int64]uint16{}
	pw := make([]float64, len(fs.Plans))
	for i, p := range fs.Plans {
		planIndex[p.ID] = uint16(i)
		s.plans = append(s.plans, plan{id: p.ID, template: p.TemplateID, name: name(p.Name)})
		pw[i] = 1 / math.Sqrt(float64(i+1))
	}
	s.planCum = cumulative(pw)
	for _, c := range fs.Crons {
		op := c.Operator
		if op == "" && len(fs.Operators) > 0 {
			op = fs.Operators[0]
		}
		s.crons = append(s.crons, cron{
			id: c.ID, name: name(c.Name), plan: planIndex[c.Plan],
			every: c.EveryMinutes, offset: c.OffsetMinutes, op: opIndex(op),
		})
	}
	s.opCum = cumulative(w)
	for typ, pool := range [3]fixtures.NamePool{2: fs.Names.File, 1: fs.Names.Script} {
		if typ == 0 {
			continue
		}
		zh, en := pool.Zh, pool.En
		if len(zh) == 0 {
			zh = en
		}
		if len(en) == 0 {
			en = zh
		}
		for _, n := range zh {
			s.quick[typ][0] = append(s.quick[typ][0], name(n))
		}
		for _, n := range en {
			s.quick[typ][1] = append(s.quick[typ][1], name(n))
		}
	}
	// Type mix: plans 50%, scripts 35%, files 15%, among the kinds the fixtures allow.
	tw := []float64{0.50, 0.35, 0.15}
	if len(s.plans) == 0 {
		tw[0] = 0
	}
	for typ := 1; typ <= 2; typ++ {
		if len(s.quick[typ][0]) == 0 {
			tw[typ] = 0
		}
	}
	copy(s.typeCum[:], cumulative(tw))
	if s.allHosts == 0 || len(fs.Operators) == 0 || s.typeCum[2] == 0 {
		s.rate = 0 // nothing to generate tasks from (fixtures validation prevents this)
	}
	if s.allHosts == 0 {
		s.crons = nil
	}
	// Slots per minute: far above the busiest minute's mean, so the cap on
	// tasks per minute (see genMinute) never binds in practice.
	peak := s.rate * diurnalMax
	if peak > 0 {
		s.slotCap = int64(math.Ceil(peak+10*math.Sqrt(peak))) + 20
	}
	s.slotCap += int64(len(s.crons))
	return s
}

// cumulative returns the running sums of w, normalised to end at 1 (all zero
// when w sums to 0).
func cumulative(w []float64) []float64 {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	out := make([]float64, len(w))
	if sum == 0 {
		return out
	}
	acc := 0.0
	for i, x := range w {
		acc += x
		out[i] = acc / sum
	}
	out[len(out)-1] = 1
	return out
}

// pick returns the index u (uniform in [0,1)) falls on in cumulative weights.
// The pools are small: a linear scan beats a binary search.
func pick(cum []float64, u float64) int {
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

// chunk returns day number day (counted from Epoch) of s and starts its
// generation on first use, in the background: concurrent callers share one
// generation, and at most cap(sem) days are generated at a time. The chunk's
// ready channel is closed when its tasks are there. At most s.ring days are
// kept: day d takes slot d mod s.ring, replacing the day there, and once keep
// (the oldest day still wanted) moves forward every older day is dropped.
// A caller that holds a dropped chunk may go on reading it.
func (s *scopeHistory) chunk(day, keep int64, sem chan struct{}) *chunk {
	s.mu.Lock()
	if keep > s.kept {
		for k, c := range s.chunks {
			if c.day < keep {
				delete(s.chunks, k)
			}
		}
		s.kept = keep
	}
	slot := day % s.ring
	c := s.chunks[slot]
	if c == nil || c.day != day {
		c = &chunk{day: day, start: Epoch + day*chunkMs, ready: make(chan struct{})}
		s.chunks[slot] = c
	}
	s.mu.Unlock()
	c.once.Do(func() { go s.fill(c, sem) })
	return c
}

// fill generates c once a generation slot of sem is free, then marks it ready.
func (s *scopeHistory) fill(c *chunk, sem chan struct{}) {
	sem <- struct{}{}
	s.generate(c)
	<-sem
	close(c.ready)
}

// generate fills c with its day's tasks, newest minute first.
func (s *scopeHistory) generate(c *chunk) {
	s.made.Add(1)
	if s.rate == 0 && len(s.crons) == 0 {
		return
	}
	src := &splitmix{}
	f := gofakeit.NewCustom(src)
	first := (c.start - Epoch) / minuteMs
	bp := scratch.Get().(*[]task)
	buf := (*bp)[:0]
	var minute []task
	var offs []uint32
	for m := first + chunkMinutes - 1; m >= first; m-- {
		src.reseed(mix64(s.key + uint64(m)*0x9e3779b97f4a7c15))
		minute, offs = s.genMinute(f, m, uint32((m-first)*minuteMs), minute[:0], offs[:0])
		// minute is in id order (create_time asc); emit create_time desc,
		// keeping ties in id order.
		for j := len(minute); j > 0; {
			i := j - 1
			for i > 0 && minute[i-1].off == minute[j-1].off {
				i--
			}
			for k := i; k < j; k++ {
				buf = append(buf, minute[k])
			}
			j = i
		}
	}
	c.tasks = slices.Clone(buf) // exact size: the cache is long-lived
	c.sum = summarize(c.start, c.tasks)
	*bp = buf
	scratch.Put(bp)
}

// scratch holds buffers a day is generated in before it is copied to its
// exact size.
var scratch = sync.Pool{New: func() any { return new([]task) }}

// genMinute appends the tasks of minute m (counted from Epoch; base is its
// offset in the chunk, ms) to out in id order: cron runs first (they start at
// second 0), then the other tasks by create_time.
func (s *scopeHistory) genMinute(f *gofakeit.Faker, m int64, base uint32, out []task, offs []uint32) ([]task, []uint32) {
	r := f.Rand
	unixMinute := Epoch/minuteMs + m
	local := unixMinute + shanghaiMinutes
	for i, c := range s.crons {
		if local%c.every == c.offset {
			out = append(out, task{off: base, kind: uint8(bkjob.LaunchCron) << launchShift, ref: uint16(i), name: c.name, op: c.op})
		}
	}
	crons := len(out)
	n := poisson(r, s.rate*diurnal(unixMinute))
	n = min(n, int(s.slotCap)-crons)
	for range n {
		offs = append(offs, uint32(r.Int63n(minuteMs)))
	}
	slices.Sort(offs)
	for _, o := range offs {
		out = append(out, task{off: base + o})
	}
	for i := range out {
		t := &out[i]
		t.slot = uint32(i)
		if i >= crons {
			s.pickKind(f, t)
		}
		s.pickRun(f, r, t)
	}
	return out, offs
}

// pickKind chooses type, launch mode, name, plan and operator of a non-cron task.
func (s *scopeHistory) pickKind(f *gofakeit.Faker, t *task) {
	r := f.Rand
	typ := pick(s.typeCum[:], r.Float64())
	launch := bkjob.LaunchWeb
	if f.Float64Range(0, 1) >= 0.55 {
		launch = bkjob.LaunchAPI
	}
	t.kind = uint8(typ) | uint8(launch)<<launchShift
	if typ == int(bkjob.TypePlan) {
		p := pick(s.planCum, r.Float64())
		t.ref, t.name = uint16(p), s.plans[p].name
	} else {
		pool := s.quick[typ][launch-1]
		t.name = pool[f.Number(0, len(pool)-1)]
	}
	t.op = uint16(pick(s.opCum, r.Float64()))
}

// Target host counts 1..6 and their probabilities (cumulative).
var hostCountCum = []float64{0.35, 0.60, 0.75, 0.85, 0.93, 1}

// Final statuses and their cumulative probabilities: success 85%, failure 9%,
// then rarer endings.
var (
	finals    = []bkjob.Status{3, 4, 6, 5, 8, 11, 9, 13, 14}
	finalsCum = cumulative([]float64{85, 9, 1.5, 0.8, 1.0, 1.0, 0.4, 0.8, 0.5})
)

// medianRun is the median run time of each task type, ms.
var medianRun = [3]float64{bkjob.TypePlan: 45000, bkjob.TypeScript: 6000, bkjob.TypeFile: 20000}

// pickRun chooses hosts, timing and statuses of t, whose kind is set.
func (s *scopeHistory) pickRun(f *gofakeit.Faker, r *rand.Rand, t *task) {
	typ := t.typ()
	t.targets = pickHosts(r, s.allHosts, 1+pick(hostCountCum, r.Float64()))
	if typ == bkjob.TypeFile {
		k := 1
		if r.Float64() < 0.3 {
			k = 2
		}
		free := s.allHosts &^ t.targets
		if free == 0 {
			free = s.allHosts // a one-host scope copies files locally
		}
		t.sources = pickHosts(r, free, k)
	}

	var delay float64 // ms
	switch u := r.Float64(); {
	case u < 0.93:
		delay = f.Float64Range(100, 3000)
	case u < 0.99:
		delay = f.Float64Range(3000, 30000)
	default:
		delay = f.Float64Range(30000, 300000) // queued
	}
	dur := medianRun[typ] * math.Exp(0.9*r.NormFloat64()) // log-normal

	if r.Float64() < 0.015 {
		dur = f.Float64Range(3600e3, 8*3600e3) // a long one
	}
	dur = min(max(dur, 300), 12*3600e3)

	final := finals[pick(finalsCum, r.Float64())]
	live := bkjob.StatusRunning
	if typ == bkjob.TypePlan {
		switch u := r.Float64(); {
		case u < 0.03 || final == bkjob.StatusConfirmTerminated:
			live = bkjob.StatusWaitingUser // a step waits for a manual confirmation
			dur += f.Float64Range(60e3, 2*3600e3)
		case u < 0.06:
			live = bkjob.StatusRollingWaiting
			dur += f.Float64Range(30e3, 1800e3)
		}
	} else if final == bkjob.StatusConfirmTerminated {
		final = bkjob.StatusTerminated // only plans have confirmation steps
	}
	t.delay, t.dur = uint32(delay), uint32(dur)
	t.st = uint8(final) | uint8(live)<<4
}

// pickHosts picks k distinct hosts of pool (fewer if pool is smaller).
func pickHosts(r *rand.Rand, pool uint64, k int) uint64 {
	var got uint64
	for range k {
		free := pool &^ got
		n := bits.OnesCount64(free)
		if n == 0 {
			break
		}
		for j := r.Intn(n); j > 0; j-- {
			free &= free - 1
		}
		got |= free & -free
	}
	return got
}

package mock

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// maxLength is the largest page the API serves.
const maxLength = 200

// shape answers a data-shape scenario with the list the handler sends
// instead of the history's page, in the requested scope:
//   - empty: nothing;
//   - running: the requested page (every filter but status), each task made
//     still running at now;
//   - full-page: 200 items from the requested offset.
//
// Where the history holds too few tasks, tasks are made up to fill the page,
// older than the last real one and inside the requested window, from the
// scope's fixtures and a generator seeded by the seed and the query: the
// same request gets the same page.
func (g *generation) shape(ctx context.Context, sc *scenario, q bkjob.Query, now, seed int64) ([]bkjob.JobInstance, error) {
	switch sc.def.name {
	case "running":
		q.Status = nil
		items, err := g.list(ctx, nil, q, now)
		if err != nil {
			return nil, err
		}
		for i := range items {
			makeRunning(&items[i], now)
		}
		return g.fill(items, q, now, seed, q.Length, true), nil
	case "full-page":
		q.Length = maxLength
		items, err := g.list(ctx, nil, q, now)
		if err != nil {
			return nil, err
		}
		return g.fill(items, q, now, seed, maxLength, false), nil
	}
	return nil, nil
}

// makeRunning turns a task into one still running at now.
func makeRunning(j *bkjob.JobInstance, now int64) {
	if j.StartTime == 0 || j.StartTime > now || j.StartTime < j.CreateTime {
		j.StartTime = j.CreateTime
	}
	j.Status = bkjob.StatusRunning
	j.EndTime = 0
	j.TotalTime, j.HasTotalTime = now-j.StartTime, true
}

// fill makes up tasks until items holds want of them.
func (g *generation) fill(items []bkjob.JobInstance, q bkjob.Query, now, seed int64, want int, running bool) []bkjob.JobInstance {
	if len(items) >= want {
		return items[:want]
	}
	h := fnv.New64a()
	h.Write([]byte(q.Scope.String()))
	for _, v := range [...]int64{q.CreateTimeStart, q.CreateTimeEnd, int64(q.Offset), int64(want), int64(len(items))} {
		h.Write(strconv.AppendInt(nil, v, 10))
	}
	r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))

	// Made-up tasks go in the requested window (at most its last 30 days, up
	// to now), even one the history has archived; an empty window gets the
	// last 30 days.
	retention := history.DefaultRetention.Milliseconds()
	hi := min(q.CreateTimeEnd, now)
	lo := max(q.CreateTimeStart, hi-retention)
	if lo > hi || q.JobInstanceID > 0 {
		lo, hi = now-retention, now
	}
	t := hi + 1
	if n := len(items); n > 0 {
		t = items[n-1].CreateTime
	}
	missing := want - len(items)
	step := max((t-lo)/int64(missing+1), 1)
	fs, _ := g.fx.LookupScope(q.Scope)
	for i := range missing {
		create := t - int64(i+1)*step - r.Int64N(max(step/2, 1))
		// An id of the minute it is made for, from the end of that minute's
		// range (the history's own tasks take its start): it decodes back
		// to its minute like a real one, at any scale.
		_, last := g.history.IDRange(create)
		items = append(items, syntheticTask(r, fs, q.Scope, last-int64(i), create, now, running))
	}
	return items
}

// syntheticTask makes up one task of scope created at create, drawing its
// kind, names and times from r and the scope's fixtures (fs may be nil).
func syntheticTask(r *rand.Rand, fs *fixtures.Scope, scope bkjob.Scope, id, create, now int64, running bool) bkjob.JobInstance {
	j := bkjob.JobInstance{ID: id, Scope: scope, CreateTime: create, TemplateID: -1, PlanID: -1, Operator: "admin", LaunchMode: bkjob.LaunchWeb}
	if scope.Type == bkjob.ScopeBiz {
		j.BizID, _ = strconv.ParseInt(scope.ID, 10, 64)
	}
	if r.IntN(3) == 0 {
		j.LaunchMode = bkjob.LaunchAPI
	}
	var names fixtures.NamePool
	switch u := r.IntN(20); {
	case u < 10 && fs != nil && len(fs.Plans) > 0:
		p := fs.Plans[r.IntN(len(fs.Plans))]
		j.Type, j.PlanID, j.TemplateID, j.Name = bkjob.TypePlan, p.ID, p.TemplateID, p.Name
	case u < 16:
		j.Type, j.Name = bkjob.TypeScript, "快速执行脚本_"+time.UnixMilli(create).In(shanghai).Format("20060102150405000")
		if fs != nil {
			names = fs.Names.Script
		}
	default:
		j.Type, j.Name = bkjob.TypeFile, "快速分发文件_"+time.UnixMilli(create).In(shanghai).Format("20060102150405000")
		if fs != nil {
			names = fs.Names.File
		}
	}
	pool := names.Zh
	if j.LaunchMode == bkjob.LaunchAPI && len(names.En) > 0 || len(pool) == 0 {
		pool = names.En
	}
	if len(pool) > 0 {
		j.Name = pool[r.IntN(len(pool))]
	}
	if fs != nil && len(fs.Operators) > 0 {
		j.Operator = fs.Operators[r.IntN(min(len(fs.Operators), 3))]
	}
	j.StartTime = min(create+r.Int64N(2000), now)
	end := j.StartTime + 500 + r.Int64N(120_000)
	switch {
	case running || end > now:
		makeRunning(&j, now)
	default:
		j.Status = bkjob.StatusSuccess
		if r.IntN(8) == 0 {
			j.Status = bkjob.StatusFail
		}
		j.EndTime, j.TotalTime, j.HasTotalTime = end, end-j.StartTime, true
	}
	return j
}

var shanghai = time.FixedZone("CST", 8*3600)

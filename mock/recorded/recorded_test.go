package recorded_test

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
	"github.com/bkjob-mock/bkjob-mock/mock/recorded"
)

var (
	now  = time.Date(2026, 3, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()
	biz2 = bkjob.Scope{Type: "biz", ID: "2"}
)

const (
	hour = int64(3_600_000)
	day  = 24 * hour
)

func ptr[T any](v T) *T { return &v }

// generated returns three days of biz:2 of the default fixtures as JSONL
// (what dump writes), and the history they come from.
func generated(t testing.TB) (*history.History, []bkjob.JobInstance, []byte) {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	h := history.New(fx, history.Options{Seed: 5, Retention: 3 * 24 * time.Hour})
	var all []bkjob.JobInstance
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	h.Each(biz2, 0, now, now, func(j bkjob.JobInstance) bool {
		all = append(all, j)
		require.NoError(t, enc.Encode(recorded.NewRecord(&j)))
		return true
	})
	require.NotEmpty(t, all)
	return h, all, buf.Bytes()
}

// shuffled returns the lines of b in a random order: a file need not be sorted.
func shuffled(b []byte) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	rand.New(rand.NewSource(1)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	return []byte(strings.Join(lines, "\n"))
}

// A dump of the generated history, read back in any order, answers every
// query exactly as the history does: same filters, order and paging.
func TestSourceAnswersLikeHistory(t *testing.T) {
	t.Parallel()
	h, all, jsonl := generated(t)
	src, err := recorded.Read(bytes.NewReader(shuffled(jsonl)), biz2, "dump.jsonl")
	require.NoError(t, err)
	require.Equal(t, len(all), src.Len())

	r := rand.New(rand.NewSource(3))
	some := func() bkjob.JobInstance { return all[r.Intn(len(all))] }
	for i := range 400 {
		q := bkjob.Query{Scope: biz2, CreateTimeStart: now - 3*day, CreateTimeEnd: now, Length: []int{10, 1, 200}[r.Intn(3)]}
		switch r.Intn(4) {
		case 0:
			a, b := now-r.Int63n(4*day), now-r.Int63n(4*day)
			q.CreateTimeStart, q.CreateTimeEnd = min(a, b), max(a, b)
		case 1:
			c := some().CreateTime
			q.CreateTimeStart, q.CreateTimeEnd = c-hour, c
		case 2:
			q.CreateTimeStart, q.CreateTimeEnd = -1<<63, 1<<63-1 // beyond now, no overflow
		}
		if r.Intn(4) == 0 {
			q.Operator = []string{some().Operator, "ADMIN", "nobody", " "}[r.Intn(4)]
		}
		if r.Intn(4) == 0 {
			q.Name = []string{"web", "_", "%", "快速", "zzz", "  "}[r.Intn(6)]
		}
		if r.Intn(5) == 0 {
			q.IP = some().Hosts[0]
		}
		if r.Intn(5) == 0 {
			q.Status = ptr(bkjob.Statuses[r.Intn(len(bkjob.Statuses))])
		}
		if r.Intn(5) == 0 {
			q.Type = ptr(bkjob.TaskType(r.Intn(3)))
		}
		if r.Intn(5) == 0 {
			q.LaunchMode = ptr(bkjob.LaunchMode(1 + r.Intn(3)))
		}
		if r.Intn(6) == 0 {
			q.JobCronID = []int64{some().CronID, 999999}[r.Intn(2)]
		}
		if r.Intn(8) == 0 {
			q.JobInstanceID = some().ID
		}
		q.Offset = []int{0, 0, 3, 37, 10000}[r.Intn(5)]
		if !assert.Equal(t, h.List(q, now), src.List(q, now), "query %d: %+v", i, q) {
			return
		}
	}

	// Later, the recorded statuses stay as recorded (the generated history
	// moves on); the total_time of what runs keeps counting.
	later := now + 5*60_000
	q := bkjob.Query{Scope: biz2, CreateTimeStart: now - day, CreateTimeEnd: now, Length: 200}
	before, after := src.List(q, now), src.List(q, later)
	require.Equal(t, len(before), len(after))
	running := 0
	for i := range before {
		b, a := before[i], after[i]
		assert.Equal(t, b.Status, a.Status)
		if b.Status.LiveTotalTime() {
			running++
			assert.Equal(t, later-a.StartTime, a.TotalTime)
		} else {
			assert.Equal(t, b, a)
		}
	}
	assert.Positive(t, running, "the last day has running tasks")
}

// A shifted source serves the same tasks with every time moved by the same
// amount; ShiftedTo puts the newest time at now.
func TestShift(t *testing.T) {
	t.Parallel()
	_, all, jsonl := generated(t)
	src, err := recorded.Read(bytes.NewReader(jsonl), biz2, "dump.jsonl")
	require.NoError(t, err)
	later := now + 40*day
	moved := src.ShiftedTo(later)
	assert.Equal(t, later, moved.Newest())
	d := moved.Shift()
	assert.Positive(t, d)
	assert.Equal(t, src.Newest()+d, moved.Newest())

	q := bkjob.Query{Scope: biz2, CreateTimeStart: now - day, CreateTimeEnd: now, Length: 200, Offset: 5}
	before := src.List(q, now)
	q.CreateTimeStart, q.CreateTimeEnd = q.CreateTimeStart+d, q.CreateTimeEnd+d
	after := moved.List(q, now+d)
	require.Len(t, after, len(before))
	require.NotEmpty(t, before)
	for i := range before {
		b, a := before[i], after[i]
		assert.Equal(t, b.ID, a.ID)
		assert.Equal(t, b.CreateTime+d, a.CreateTime)
		if b.StartTime != 0 {
			assert.Equal(t, b.StartTime+d, a.StartTime)
		}
		if b.EndTime != 0 {
			assert.Equal(t, b.EndTime+d, a.EndTime)
		}
		assert.Equal(t, b.TotalTime, a.TotalTime, "durations stay")
	}
	// Nothing is newer than now after ShiftedTo.
	moved.Each(-1<<63, 1<<63-1, later, func(j bkjob.JobInstance) bool {
		assert.LessOrEqual(t, max(j.CreateTime, j.StartTime, j.EndTime), later)
		return true
	})
	assert.Len(t, all, moved.Len())
}

// Tasks created after now are not visible yet, not even by id.
func TestNotYetCreated(t *testing.T) {
	t.Parallel()
	line := `{"job_instance_id":9,"bk_scope_type":"biz","bk_scope_id":"2","job_template_id":-1,"job_plan_id":-1,"job_cron_id":0,"name":"n","operator":"admin","launch_mode":1,"status":1,"type":1,"create_time":2000,"hosts":[]}`
	src, err := recorded.Read(strings.NewReader(line+"\n"), biz2, "f")
	require.NoError(t, err)
	q := bkjob.Query{Scope: biz2, CreateTimeStart: 0, CreateTimeEnd: 5000, Length: 10}
	assert.Empty(t, src.List(q, 1999))
	assert.Len(t, src.List(q, 2000), 1)
	q.JobInstanceID = 9
	assert.Empty(t, src.List(q, 1999))
	assert.Len(t, src.List(q, 2000), 1)
	assert.EqualValues(t, 2, src.List(q, 2000)[0].BizID, "bk_biz_id from the scope when absent")
	assert.Empty(t, src.List(bkjob.Query{Scope: bkjob.Scope{Type: "biz", ID: "3"}, CreateTimeEnd: 5000, Length: 10}, 2000), "another scope")
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	good := `{"job_instance_id":9,"bk_scope_type":"biz","bk_scope_id":"2","job_template_id":-1,"job_plan_id":-1,"job_cron_id":0,"name":"n","operator":"admin","launch_mode":1,"status":3,"type":1,"create_time":2000,"start_time":2001,"end_time":2002,"total_time":1,"hosts":[]}`
	with := func(from, to string) string { return strings.Replace(good, from, to, 1) }
	cases := []struct{ name, input, want string }{
		{"not JSON", "hello\n", "f:1: not a task in JSON"},
		{"cut last line", good + "\n" + good[:40], "f:2: not a task in JSON"},
		{"unknown field", with(`"name"`, `"nom":1,"name"`), `unknown field "nom"`},
		{"two values", good + " {}\n", "f:1: more than one JSON value"},
		{"another scope", with(`"bk_scope_id":"2"`, `"bk_scope_id":"3"`), "f:1: task 9 is of scope biz:3, not biz:2"},
		{"duplicate id", good + "\n\n" + good + "\n", "f:3: task 9 again (first on line 1)"},
		{"no id", with(`"job_instance_id":9`, `"job_instance_id":0`), "job_instance_id must be a positive number"},
		{"no create_time", with(`"create_time":2000`, `"create_time":0`), "create_time must be a positive"},
		{"status 12", with(`"status":3`, `"status":12`), "status 12 is not a status"},
		{"type 5", with(`"type":1`, `"type":5`), "type 5 is not 0, 1 or 2"},
		{"launch_mode 0", with(`"launch_mode":1`, `"launch_mode":0`), "launch_mode 0 is not 1, 2 or 3"},
		{"no scope", with(`"bk_scope_type":"biz",`, ``), "bk_scope_type and bk_scope_id are required"},
		{"a huge line", `{"name":"` + strings.Repeat("x", recorded.MaxLineBytes) + `"}`, "f:1: a line longer than"},
	}
	for _, c := range cases {
		_, err := recorded.Read(strings.NewReader(c.input), biz2, "f")
		if assert.Error(t, err, c.name) {
			assert.Contains(t, err.Error(), c.want, c.name)
		}
	}
	src, err := recorded.Read(strings.NewReader("\n"+good+"\n\n"), biz2, "f")
	require.NoError(t, err, "blank lines are skipped")
	assert.Equal(t, 1, src.Len())
	assert.Equal(t, int64(2002), src.Newest())
}

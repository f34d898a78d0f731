package history_test

import (
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock/history"
)

// filterList answers q over all (in API order) the way a source of tasks
// other than the history does: the window, then Filter, then the page.
func filterList(all []bkjob.JobInstance, q bkjob.Query) []bkjob.JobInstance {
	out := []bkjob.JobInstance{}
	f := history.NewFilter(q)
	skip := max(q.Offset, 0)
	for i := range all {
		j := &all[i]
		if q.JobInstanceID <= 0 && (j.CreateTime < q.CreateTimeStart || j.CreateTime > q.CreateTimeEnd) {
			continue
		}
		if !f.Match(j) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == q.Length {
			break
		}
		out = append(out, *j)
	}
	return out
}

// Filter decides as List does, for every query the oracle test draws: a
// recorded source built on it answers like the generated history.
func TestFilterMatchesList(t *testing.T) {
	t.Parallel()
	fx := defaultFixtures(t)
	h := history.New(fx, history.Options{Seed: 11, Retention: 3 * 24 * time.Hour})
	for _, scope := range scopes(fx) {
		t.Run(scope.String(), func(t *testing.T) {
			t.Parallel()
			all := dump(h, scope, now)
			require.NotEmpty(t, all)
			r := rand.New(rand.NewSource(int64(len(all)) + 1))
			for i := range 300 {
				q := randomQuery(r, scope, all)
				if !assert.Equal(t, h.List(q, now), filterList(all, q), "query %d: %+v", i, q) {
					return
				}
			}
		})
	}
}

// An unknown enum value matches nothing; job_instance_id drops every filter
// but the ip.
func TestFilterEdges(t *testing.T) {
	t.Parallel()
	j := bkjob.JobInstance{ID: 7, Name: "发布-web集群", Operator: "admin", Status: 3, Type: 0, LaunchMode: 1, Hosts: []string{"10.0.0.1"}}
	cases := []struct {
		name string
		q    bkjob.Query
		want bool
	}{
		{"no filter", bkjob.Query{}, true},
		{"status 12", bkjob.Query{Status: ptr(bkjob.Status(12))}, false},
		{"type 3", bkjob.Query{Type: ptr(bkjob.TaskType(3))}, false},
		{"launch_mode 0", bkjob.Query{LaunchMode: ptr(bkjob.LaunchMode(0))}, false},
		{"operator in another case", bkjob.Query{Operator: "ADMIN"}, true},
		{"blank operator", bkjob.Query{Operator: "  "}, true},
		{"operator with a space", bkjob.Query{Operator: "admin "}, false},
		{"name LIKE with _", bkjob.Query{Name: "WEB集_"}, true},
		{"name not in", bkjob.Query{Name: "db"}, false},
		{"ip", bkjob.Query{IP: "10.0.0.1"}, true},
		{"ip of no host", bkjob.Query{IP: "10.0.0.2"}, false},
		{"cron id of another", bkjob.Query{JobCronID: 5}, false},
		{"id drops the rest", bkjob.Query{JobInstanceID: 7, Operator: "nobody", Status: ptr(bkjob.Status(4))}, true},
		{"id keeps the ip", bkjob.Query{JobInstanceID: 7, IP: "10.0.0.2"}, false},
		{"another id", bkjob.Query{JobInstanceID: 8}, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, history.NewFilter(c.q).Match(&j), c.name)
	}
	noHosts := j
	noHosts.Hosts = nil
	assert.False(t, history.NewFilter(bkjob.Query{IP: "10.0.0.1"}).Match(&noHosts), "a task without hosts matches no ip")
}

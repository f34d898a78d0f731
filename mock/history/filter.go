package history

import (
	"strings"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// Filter is the filters of a query, checked on one task at a time: what List
// applies over the generated history, for other sources of tasks (recorded
// files). The scope and the time window are the caller's to select; Filter
// checks the rest:
//
//   - with JobInstanceID > 0, only the id and IP;
//   - else operator (case-insensitive equality; blank means any), name (SQL
//     LIKE '%name%', unescaped, case-insensitive; blank means any),
//     launch_mode, type and status (equality; an unknown value matches
//     nothing), job_cron_id (when > 0) and IP;
//   - IP matches a task one of whose Hosts equals it exactly.
//
// A Filter is for one query and one goroutine: it remembers the verdict of
// each distinct name.
type Filter struct {
	q     bkjob.Query
	none  bool            // the query can match nothing
	names map[string]bool // the LIKE verdict per name seen
}

// NewFilter compiles the filters of q.
func NewFilter(q bkjob.Query) *Filter {
	f := &Filter{q: q}
	if q.JobInstanceID > 0 {
		return f
	}
	if strings.TrimSpace(q.Operator) == "" {
		f.q.Operator = "" // else compared as given, spaces included
	}
	if strings.TrimSpace(q.Name) == "" {
		f.q.Name = ""
	} else {
		f.names = map[string]bool{}
	}
	f.none = q.Type != nil && !q.Type.Valid() ||
		q.LaunchMode != nil && !q.LaunchMode.Valid() ||
		q.Status != nil && !q.Status.Valid()
	return f
}

// Match reports whether j passes the filters.
func (f *Filter) Match(j *bkjob.JobInstance) bool {
	q := &f.q
	if f.none || q.IP != "" && !hasHost(j.Hosts, q.IP) {
		return false
	}
	if q.JobInstanceID > 0 {
		return j.ID == q.JobInstanceID
	}
	switch {
	case q.Operator != "" && !strings.EqualFold(j.Operator, q.Operator),
		q.Type != nil && j.Type != *q.Type,
		q.LaunchMode != nil && j.LaunchMode != *q.LaunchMode,
		q.Status != nil && j.Status != *q.Status,
		q.JobCronID > 0 && j.CronID != q.JobCronID:
		return false
	}
	if q.Name != "" {
		ok, seen := f.names[j.Name]
		if !seen {
			ok = likeContains(j.Name, q.Name)
			f.names[j.Name] = ok
		}
		return ok
	}
	return true
}

func hasHost(hosts []string, ip string) bool {
	for _, h := range hosts {
		if h == ip {
			return true
		}
	}
	return false
}

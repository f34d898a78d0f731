package mock

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// activation is a scenario switched on through the admin API: until cleared,
// for its next Count requests, or for a while, and for one scope or user only
// if asked.
type activation struct {
	id        int
	source    string // admin:ID
	scenarios []scenario
	scope     bkjob.Scope // zero for every scope
	user      string      // "" for every user
	count     int64       // 0: no limit
	remaining atomic.Int64
	until     time.Time // zero: no limit
	created   time.Time
	used      atomic.Int64
}

// expired reports whether the activation is used up or out of time.
func (a *activation) expired(now time.Time) bool {
	return !a.until.IsZero() && !now.Before(a.until) || a.count > 0 && a.remaining.Load() <= 0
}

// take counts one use; false when another request took the last one.
func (a *activation) take() bool {
	for a.count > 0 {
		n := a.remaining.Load()
		if n <= 0 {
			return false
		}
		if a.remaining.CompareAndSwap(n, n-1) {
			break
		}
	}
	a.used.Add(1)
	return true
}

// activationView is an activation as the admin API shows it.
type activationView struct {
	ID        int        `json:"id"`
	Scenario  string     `json:"scenario"`
	Scope     string     `json:"scope,omitempty"`
	User      string     `json:"user,omitempty"`
	Count     int64      `json:"count,omitempty"`
	Remaining *int64     `json:"remaining,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Used      int64      `json:"used"`
	HiddenBy  []string   `json:"hidden_by,omitempty"` // the sources that win over it on every request it matches
}

func (a *activation) view() activationView {
	v := activationView{
		ID: a.id, Scenario: formatScenarios(a.scenarios), Scope: a.scope.String(), User: a.user,
		Count: a.count, CreatedAt: a.created, Used: a.used.Load(),
	}
	if a.count > 0 {
		n := max(a.remaining.Load(), 0)
		v.Remaining = &n
	}
	if !a.until.IsZero() {
		t := a.until
		v.ExpiresAt = &t
	}
	return v
}

// scenarioStore holds the activations. Requests read an immutable snapshot
// with one atomic load; the admin API replaces it under the mutex.
type scenarioStore struct {
	mu     sync.Mutex
	list   atomic.Pointer[[]*activation] // newest first
	nextID int
	now    func() time.Time // the wall clock activations expire by
}

func newScenarioStore(now func() time.Time) *scenarioStore { return &scenarioStore{now: now} }

// active returns the current activations, newest first, expired ones included.
func (st *scenarioStore) active() []*activation {
	if p := st.list.Load(); p != nil {
		return *p
	}
	return nil
}

func (st *scenarioStore) add(a *activation) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.nextID++
	a.id = st.nextID
	a.source = "admin:" + strconv.Itoa(a.id)
	if a.count > 0 {
		a.remaining.Store(a.count)
	}
	old := st.active()
	list := make([]*activation, 0, len(old)+1)
	list = append(append(list, a), old...)
	st.list.Store(&list)
}

// remove drops the activations for which drop is true and reports how many.
func (st *scenarioStore) remove(drop func(*activation) bool) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	old := st.active()
	list := make([]*activation, 0, len(old))
	for _, a := range old {
		if !drop(a) {
			list = append(list, a)
		}
	}
	if len(list) == len(old) {
		return 0
	}
	if len(list) == 0 {
		st.list.Store(nil)
	} else {
		st.list.Store(&list)
	}
	return len(old) - len(list)
}

func (st *scenarioStore) prune() {
	now := st.now()
	st.remove(func(a *activation) bool { return a.expired(now) })
}

// apply adds to p the scenarios of the activations (newest first) that match
// the request's scope and user, where they have a free slot, counting a use
// of each activation that contributes. Expired ones are pruned.
func (st *scenarioStore) apply(p *plan, acts []*activation, scope bkjob.Scope, user string) {
	if len(acts) == 0 {
		return
	}
	now := st.now()
	expired := false
	for _, a := range acts {
		if a.expired(now) {
			expired = true
			continue
		}
		if a.scope != (bkjob.Scope{}) && a.scope != scope || a.user != "" && a.user != user || !p.free(a.scenarios) {
			continue
		}
		if !a.take() {
			expired = true
			continue
		}
		p.add(a.scenarios, a.source)
	}
	if expired {
		st.prune()
	}
}

// live lists the activations not expired, newest first.
func (st *scenarioStore) live() []*activation {
	now := st.now()
	var out []*activation
	for _, a := range st.active() {
		if !a.expired(now) {
			out = append(out, a)
		}
	}
	return out
}

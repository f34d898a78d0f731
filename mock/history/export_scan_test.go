package history

import bkjob "github.com/bkjob-mock/bkjob-mock"

// RuledOut reports whether h answers q without reading a task: the scope is
// unknown or q's filters name something the scope does not have.
func RuledOut(h *History, q bkjob.Query, now int64) bool {
	s := h.scopes[q.Scope]
	if s == nil {
		return true
	}
	_, ok := s.matcher(q, now)
	return !ok
}

// DaysRead returns how many days of q's window h reads task by task at now;
// the others it passes over by their summaries. Every day is generated first.
func DaysRead(h *History, q bkjob.Query, now int64) int {
	s := h.scopes[q.Scope]
	if s == nil {
		return 0
	}
	m, ok := s.matcher(q, now)
	if !ok {
		return 0
	}
	lo, hi := h.window(q.CreateTimeStart, q.CreateTimeEnd, now)
	n := 0
	for day := dayOf(hi); day >= dayOf(lo) && lo <= hi; day-- {
		c := h.chunk(s, day, now)
		<-c.ready
		if m.may(&c.sum) {
			n++
		}
	}
	return n
}

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

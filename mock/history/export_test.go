package history

import (
	"slices"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// CachedDays returns the start (Unix ms) of each day of scope h holds in
// memory, oldest first.
func CachedDays(h *History, scope bkjob.Scope) []int64 {
	s := h.scopes[scope]
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, c := range s.chunks {
		out = append(out, c.start)
	}
	slices.Sort(out)
	return out
}

// GeneratedDays returns how many days h has generated, over all scopes.
func GeneratedDays(h *History) int64 {
	n := int64(0)
	for _, s := range h.scopes {
		n += s.made.Load()
	}
	return n
}

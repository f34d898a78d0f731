package mock

import "time"

// SetWallClock makes srv's admin activations expire by now instead of the
// wall clock, so that tests of "for T seconds" need no sleep.
func SetWallClock(srv *Server, now func() time.Time) { srv.store.now = now }

// Package loadtest drives a fixed mix of realistic get_job_instance_list
// queries at a server over loopback and sums up what it saw: requests per
// second and latency percentiles, and the verdict of one server's rate
// against another's. It is the engine of make load (cmd/bkjob-load).
package loadtest

import (
	"net/url"
	"strconv"
	"time"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// Windows are the create-time windows of the mix, each ending at now.
var Windows = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// Filters are the filters of the mix, as query strings ("" for none).
var Filters = []string{"", "status=3", "type=1", "launch_mode=3", "operator=admin", "name=a", "status=4&type=0"}

// Pages are the page shapes of the mix ("" for the default page: offset 0, length 10).
var Pages = []string{"", "offset=10", "length=20", "offset=40&length=20", "length=50"}

// Mix returns the paths with queries of the mix for scope at instant now:
// every window × filter × page, windows outermost, pages innermost.
func Mix(scope bkjob.Scope, now time.Time) []string {
	out := make([]string, 0, len(Windows)*len(Filters)*len(Pages))
	for _, w := range Windows {
		for _, f := range Filters {
			for _, p := range Pages {
				out = append(out, Query(scope, now.Add(-w), now, f, p))
			}
		}
	}
	return out
}

// Query returns the path and query of one request of the mix: the user API
// for scope, created in [from, to], with the extra filter and page parameters.
func Query(scope bkjob.Scope, from, to time.Time, filter, page string) string {
	q := bkjob.UserAPIPath + "?bk_scope_type=" + url.QueryEscape(scope.Type) +
		"&bk_scope_id=" + url.QueryEscape(scope.ID) +
		"&create_time_start=" + strconv.FormatInt(from.UnixMilli(), 10) +
		"&create_time_end=" + strconv.FormatInt(to.UnixMilli(), 10)
	for _, extra := range []string{filter, page} {
		if extra != "" {
			q += "&" + extra
		}
	}
	return q
}

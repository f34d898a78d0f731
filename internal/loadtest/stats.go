package loadtest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Median returns the median of xs (the mean of the middle two for an even
// count), 0 for none. xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// Summary is one measured run against one server.
type Summary struct {
	Requests int           // answers received
	Errors   int           // answers that were not 200, and failed connections
	Elapsed  time.Duration // from the first request to the last answer
	P50, P99 time.Duration
	FirstErr string        // what the first error was, "" when none
	CPU      time.Duration // the server's CPU time during the run, when known (0 otherwise)
}

// CPUPerRequest is the server's CPU time per answer, 0 when not known.
func (s Summary) CPUPerRequest() time.Duration {
	if s.Requests == 0 {
		return 0
	}
	return s.CPU / time.Duration(s.Requests)
}

// Rate is the answers per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// summarize sums up latencies (sorted in place) over elapsed.
func summarize(latencies []time.Duration, errs int, firstErr string, elapsed time.Duration) Summary {
	slices.Sort(latencies)
	return Summary{
		Requests: len(latencies), Errors: errs, Elapsed: elapsed, FirstErr: firstErr,
		P50: Percentile(latencies, 50), P99: Percentile(latencies, 99),
	}
}

// Medians are the medians over rounds of one server's rate, percentiles and
// CPU time per request.
type Medians struct {
	Rate     float64
	P50, P99 time.Duration
	CPU      time.Duration // per request; 0 when not known
}

// MedianOf returns the medians of rounds.
func MedianOf(rounds []Summary) Medians {
	var rate, p50, p99, cpu []float64
	for _, r := range rounds {
		rate = append(rate, r.Rate())
		p50 = append(p50, float64(r.P50))
		p99 = append(p99, float64(r.P99))
		cpu = append(cpu, float64(r.CPUPerRequest()))
	}
	return Medians{Rate: Median(rate), P50: time.Duration(Median(p50)), P99: time.Duration(Median(p99)), CPU: time.Duration(Median(cpu))}
}

// Comparison is a server measured against a reference in the same run.
type Comparison struct {
	Server, Reference Medians
}

// Ratio is the server's rate as a fraction of the reference's.
func (c Comparison) Ratio() float64 {
	if c.Reference.Rate == 0 {
		return 0
	}
	return c.Server.Rate / c.Reference.Rate
}

// P99Ratio is the server's p99 latency as a multiple of the reference's.
func (c Comparison) P99Ratio() float64 {
	if c.Reference.P99 == 0 {
		return math.Inf(1)
	}
	return float64(c.Server.P99) / float64(c.Reference.P99)
}

// ErrBelowFloor is what Verdict returns when a rate ratio or p99 is out of bounds.
var ErrBelowFloor = errors.New("below the floor")

// Verdict returns nil when c's ratio is at least floor and (when maxP99 > 0)
// its p99 at most maxP99 times the reference's; otherwise an error wrapping
// ErrBelowFloor that says by how much.
func Verdict(c Comparison, floor, maxP99 float64) error {
	if r := c.Ratio(); !(r >= floor) {
		return fmt.Errorf("rate ratio %.2f is %w %.2f", r, ErrBelowFloor, floor)
	}
	if maxP99 > 0 {
		if r := c.P99Ratio(); !(r <= maxP99) {
			return fmt.Errorf("p99 is %.1f times the reference's, over %.1f: %w", r, maxP99, ErrBelowFloor)
		}
	}
	return nil
}

package history

import (
	"math"
	"math/rand"
)

// splitmix is a tiny rand.Source64 (SplitMix64). Each minute of history
// reseeds it, so it must be cheap to seed: math/rand's own source takes
// microseconds to seed, which would dominate generation.
type splitmix struct{ state uint64 }

func (s *splitmix) Uint64() uint64 {
	s.state += 0x9e3779b97f4a7c15
	return mix64(s.state)
}

func (s *splitmix) Int63() int64    { return int64(s.Uint64() >> 1) }
func (s *splitmix) Seed(seed int64) { s.state = uint64(seed) }
func (s *splitmix) reseed(k uint64) { s.state = k }

var _ rand.Source64 = (*splitmix)(nil)

// mix64 is SplitMix64's finalizer: a good 64-bit hash of x.
func mix64(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fnv64 hashes a string (FNV-1a).
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// poisson draws from a Poisson distribution of mean lambda: Knuth's product
// method for small means, Hörmann's PTRS rejection method for large ones.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 12 {
		limit := math.Exp(-lambda)
		k, p := 0, r.Float64()
		for p > limit {
			k++
			p *= r.Float64()
		}
		return k
	}
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}

// Activity by hour of the day in Asia/Shanghai, on working days and on
// weekends. diurnal normalises them so that a week averages 1.
var (
	weekdayHours = [24]float64{
		0.30, 0.22, 0.30, 0.20, 0.15, 0.15, 0.25, 0.45, // 00-07
		0.90, 1.60, 2.00, 1.90, 1.20, 1.30, 1.90, 2.00, // 08-15
		1.90, 1.60, 1.10, 0.80, 0.70, 0.60, 0.45, 0.35, // 16-23
	}
	weekendHours = [24]float64{
		0.20, 0.15, 0.20, 0.15, 0.10, 0.10, 0.12, 0.15,
		0.25, 0.35, 0.45, 0.45, 0.35, 0.35, 0.45, 0.45,
		0.40, 0.35, 0.30, 0.30, 0.30, 0.25, 0.20, 0.20,
	}
	diurnalTable, diurnalMax = makeDiurnal()
)

// shanghaiMinutes is the offset of Asia/Shanghai from UTC (no daylight saving).
const shanghaiMinutes = 8 * 60

func makeDiurnal() (t [7 * 24]float64, max float64) {
	sum := 0.0
	for d := 0; d < 7; d++ { // 0 is Sunday
		hours := &weekdayHours
		if d == 0 || d == 6 {
			hours = &weekendHours
		}
		for h := 0; h < 24; h++ {
			t[d*24+h] = hours[h]
			sum += hours[h]
		}
	}
	mean := sum / float64(len(t))
	for i := range t {
		t[i] /= mean
		max = math.Max(max, t[i])
	}
	return t, max
}

// diurnal returns the activity factor of Unix minute m.
func diurnal(m int64) float64 {
	local := m + shanghaiMinutes
	day := local / 1440
	weekday := (day + 4) % 7 // 1970-01-01 was a Thursday
	hour := (local % 1440) / 60
	return diurnalTable[weekday*24+hour]
}

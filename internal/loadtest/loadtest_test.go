package loadtest

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

var (
	pinned = time.Date(2026, 11, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	biz2   = bkjob.Scope{Type: "biz", ID: "2"}
)

const adminAuth = `{"bk_app_code":"demo","bk_app_secret":"any","bk_username":"admin"}`

func TestMix(t *testing.T) {
	t.Parallel()
	mix := Mix(biz2, pinned)
	require.Len(t, mix, 105)
	seen := map[string]bool{}
	for _, q := range mix {
		assert.False(t, seen[q], "twice: %s", q)
		seen[q] = true
		assert.True(t, strings.HasPrefix(q, bkjob.UserAPIPath+"?bk_scope_type=biz&bk_scope_id=2&"), q)
		assert.Contains(t, q, "&create_time_end=1795917600000", q)
	}
	day := "create_time_start=1795831200000&create_time_end=1795917600000"
	assert.Equal(t, bkjob.UserAPIPath+"?bk_scope_type=biz&bk_scope_id=2&"+day, mix[0], "1-day window, no filter, default page")
	assert.Equal(t, bkjob.UserAPIPath+"?bk_scope_type=biz&bk_scope_id=2&"+day+"&status=4&type=0&length=50", mix[34])
	assert.Contains(t, mix[104], "create_time_start=1793325600000&", "the last is the 30-day window")
	for _, want := range []string{"&offset=40&length=20", "&launch_mode=3", "&operator=admin", "&name=a", "&type=1&offset=10"} {
		n := 0
		for _, q := range mix {
			if strings.Contains(q, want) {
				n++
			}
		}
		assert.NotZero(t, n, want)
	}
}

// TestMixAnswers200 sends every query of the mix to the mock: each must be a
// valid request answered with a page, or the load would measure errors.
func TestMixAnswers200(t *testing.T) {
	t.Parallel()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	srv, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return pinned }})
	require.NoError(t, err)
	pages := map[string]bool{}
	for _, q := range Mix(biz2, pinned) {
		req := httptest.NewRequest(http.MethodGet, q, nil)
		req.Header.Set(mock.AuthHeader, adminAuth)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", q, rec.Body)
		list, _, _ := strings.Cut(rec.Body.String(), `"job_request_id"`)
		pages[list] = true
	}
	// Newest first: the windows share their first pages, the filters and pages differ.
	assert.GreaterOrEqual(t, len(pages), len(Filters)*len(Pages), "the queries answer different pages")
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even is the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p1 of 100", ms(hundred...), 1, time.Millisecond},
	} {
		assert.Equal(t, tc.want, Percentile(tc.sorted, tc.p), tc.name)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 0.0, Median(nil))
	assert.Equal(t, 5.0, Median([]float64{9, 5, 1}))
	assert.Equal(t, 2.5, Median([]float64{4, 1, 3, 2}))
	xs := []float64{3, 1, 2}
	Median(xs)
	assert.Equal(t, []float64{3, 1, 2}, xs, "not sorted in place")

	m := MedianOf([]Summary{
		{Requests: 100, Elapsed: time.Second, P50: 1, P99: 9, CPU: 3 * time.Millisecond},
		{Requests: 300, Elapsed: time.Second, P50: 3, P99: 7, CPU: 3 * time.Millisecond},
		{Requests: 200, Elapsed: 2 * time.Second, P50: 2, P99: 8, CPU: 8 * time.Millisecond},
	})
	assert.Equal(t, Medians{Rate: 100, P50: 2, P99: 8, CPU: 30 * time.Microsecond}, m)
	assert.Zero(t, Summary{}.CPUPerRequest())
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	cmp := func(rate, p99 float64) Comparison {
		return Comparison{Server: Medians{Rate: rate, P99: time.Duration(p99 * 1e6)}, Reference: Medians{Rate: 1000, P99: time.Millisecond}}
	}
	for _, tc := range []struct {
		name          string
		c             Comparison
		floor, maxP99 float64
		ok            bool
	}{
		{"at the floor", cmp(400, 1), 0.40, 3, true},
		{"above", cmp(550, 2), 0.40, 3, true},
		{"under the floor", cmp(399, 1), 0.40, 3, false},
		{"p99 at the bound", cmp(500, 3), 0.40, 3, true},
		{"p99 over", cmp(500, 3.5), 0.40, 3, false},
		{"p99 not checked", cmp(500, 50), 0.40, 0, true},
		{"no reference rate", Comparison{Server: Medians{Rate: 10}}, 0.40, 0, false},
		{"nothing measured", Comparison{}, 0.40, 0, false},
	} {
		err := Verdict(tc.c, tc.floor, tc.maxP99)
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorIs(t, err, ErrBelowFloor, tc.name)
		}
	}
	assert.InDelta(t, 0.55, cmp(550, 1).Ratio(), 1e-9)
	assert.InDelta(t, 2.0, cmp(550, 2).P99Ratio(), 1e-9)
}

// serve serves h on a loopback port for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestRun(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":{"job_instance_list":[]},"job_request_id":"x"}` + "\n")
	paths := []string{"/a", "/b", "/fail", "/c"}
	for _, tc := range []struct {
		name    string
		handler http.Handler
		errors  bool
	}{
		{"content-length", Bare(body), false},
		{"chunked", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(body[:10])
			w.(http.Flusher).Flush()
			w.Write(body[10:])
		}), false},
		{"connection close", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			w.Write(body)
		}), false},
		{"an error status", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/fail" {
				http.Error(w, "no", http.StatusInternalServerError)
				return
			}
			w.Write(body)
		}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got http.Header
			seen := make(chan http.Header, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case seen <- r.Header.Clone():
				default:
				}
				tc.handler.ServeHTTP(w, r)
			})
			addr := serve(t, h)
			s, err := Run(context.Background(), Load{Addr: addr, Paths: paths, Conns: 4, Duration: 200 * time.Millisecond,
				Header: map[string]string{mock.AuthHeader: adminAuth}})
			require.NoError(t, err)
			got = <-seen
			assert.Equal(t, adminAuth, got.Get(mock.AuthHeader))
			assert.Positive(t, s.Requests)
			assert.Positive(t, s.Rate())
			assert.Positive(t, s.P50)
			assert.GreaterOrEqual(t, s.P99, s.P50)
			if tc.errors {
				assert.Positive(t, s.Errors)
				assert.Contains(t, s.FirstErr, "/fail: status 500")
			} else {
				assert.Zero(t, s.Errors, s.FirstErr)
			}
		})
	}
}

func TestRunRefusesBadLoads(t *testing.T) {
	t.Parallel()
	for _, l := range []Load{
		{Addr: "127.0.0.1:1", Paths: []string{"/"}, Conns: 0, Duration: time.Second},
		{Addr: "127.0.0.1:1", Conns: 1, Duration: time.Second},
		{Addr: "127.0.0.1:1", Paths: []string{"/"}, Conns: 1},
		{Addr: "127.0.0.1:1", Paths: []string{"/"}, Conns: 1, Duration: time.Hour},
	} {
		_, err := Run(context.Background(), l)
		assert.Error(t, err)
	}
}

func TestReadHead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw      string
		status, length int
		chunked, keep  bool
		wantErr        bool
	}{
		{"ok", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", 200, 12, false, true, false},
		{"chunked", "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n", 404, -1, true, true, false},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, 0, false, false, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\n\r\n", 200, -1, false, false, false},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", 0, 0, false, false, true},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, 0, false, false, true},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", 0, 0, false, false, true},
		{"no colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 0, 0, false, false, true},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n", 0, 0, false, false, true},
	} {
		status, length, chunked, keep, err := readHead(bufio.NewReader(strings.NewReader(tc.raw)))
		if tc.wantErr {
			assert.Error(t, err, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		assert.Equal(t, []any{tc.status, tc.length, tc.chunked, tc.keep}, []any{status, length, chunked, keep}, tc.name)
	}
}

func TestDiscardChunked(t *testing.T) {
	t.Parallel()
	br := bufio.NewReader(strings.NewReader("5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nTrailer: v\r\n\r\nNEXT"))
	require.NoError(t, discardChunked(br))
	rest, _ := br.ReadString('T')
	assert.Equal(t, "NEXT", rest, "stops at the end of the body")

	for _, raw := range []string{"zz\r\n", "5\r\nhello", "5\r\nhelloXX\r\n0\r\n\r\n"} {
		assert.Error(t, discardChunked(bufio.NewReader(strings.NewReader(raw))), raw)
	}
}

func TestBodies(t *testing.T) {
	t.Parallel()
	bodies := map[string][]byte{"/a?x=1": []byte("one\n2 3\n"), "/b": {}, "/c?y= 2": []byte(`{"data":[]}`)}
	var buf strings.Builder
	require.NoError(t, WriteBodies(&buf, bodies))
	got, err := ReadBodies(strings.NewReader(buf.String()))
	require.NoError(t, err)
	assert.Equal(t, len(bodies), len(got))
	for p, b := range bodies {
		assert.Equal(t, string(b), string(got[p]), p)
	}
	for _, bad := range []string{"x y\n", "3 4\n/ab", "0 1\nx", "-1 2\n"} {
		_, err := ReadBodies(strings.NewReader(bad))
		assert.Error(t, err, bad)
	}
}

func TestBareMix(t *testing.T) {
	t.Parallel()
	addr := serve(t, BareMix(map[string][]byte{"/a?x=1": []byte("AAAA"), "/b": []byte("B")}))
	for _, tc := range []struct {
		path, body string
		status     int
	}{{"/a?x=1", "AAAA", 200}, {"/b", "B", 200}, {"/a", "", 404}, {"/a?x=2", "", 404}} {
		resp, err := http.Get("http://" + addr + tc.path)
		require.NoError(t, err)
		body := new(strings.Builder)
		_, _ = bufio.NewReader(resp.Body).WriteTo(body)
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.path)
		if tc.status == 200 {
			assert.Equal(t, tc.body, body.String(), tc.path)
			assert.Equal(t, int64(len(tc.body)), resp.ContentLength, tc.path)
		}
	}
}

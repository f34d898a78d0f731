package mock_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/internal/loadtest"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// BenchmarkHTTP measures the default query (30-day window, no filters,
// offset 0, length 10) through the whole HTTP stack, validation included,
// against a bare net/http handler writing the same bytes with the same
// Content-Length, with the same client over loopback in the same run. The
// mock case reports its rate as a fraction of bare's (ratio-to-bare; budget
// 0.50, floor 0.40). The Go client costs as much as either server here, so
// the ratio flatters the mock: the load script (make load) is the measure
// from outside. Run: make bench (or go test ./mock -run '^$' -bench HTTP).
func BenchmarkHTTP(b *testing.B) {
	mockSrv := newServer(b)
	url := mockSrv.URL + bkjob.UserAPIPath + "?bk_scope_type=biz&bk_scope_id=2&" + window
	first := fetch(b, mockSrv.Client(), url)

	length := strconv.Itoa(len(first))
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		w.Write(first)
	}))
	b.Cleanup(bare.Close)

	var bareNs float64 // ns/op of the latest bare run
	for _, bm := range []struct {
		name string
		srv  *httptest.Server
		url  string
	}{
		{"bare", bare, bare.URL + bkjob.UserAPIPath + "?bk_scope_type=biz&bk_scope_id=2&" + window},
		{"mock", mockSrv, url},
	} {
		b.Run(bm.name, func(b *testing.B) {
			client := bm.srv.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			b.SetBytes(int64(len(first)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, bm.url, nil)
					req.Header.Set("X-Bkapi-Authorization", adminAuth)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if bm.name == "bare" {
				bareNs = ns
			} else if bareNs > 0 {
				b.ReportMetric(bareNs/ns, "ratio-to-bare")
			}
		})
	}
}

// BenchmarkHandler measures the mock's handler alone, without the network.
func BenchmarkHandler(b *testing.B) {
	srv := newServer(b)
	h := srv.Config.Handler
	req := httptest.NewRequest(http.MethodGet, bkjob.UserAPIPath+"?bk_scope_type=biz&bk_scope_id=2&"+window, nil)
	req.Header.Set("X-Bkapi-Authorization", adminAuth)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkHandlerMix sends the load script's mix of 105 queries (make load)
// to the handler alone, without the network: with the CLI's defaults (request
// log at info, here to io.Discard, and a journal of 1000) and with neither.
// Its allocs/op are the ones a request costs the server under load.
func BenchmarkHandlerMix(b *testing.B) {
	mix := loadtest.Mix(bkjob.Scope{Type: "biz", ID: "2"}, pinnedNow)
	for _, bm := range []struct {
		name   string
		modify func(*mock.Config)
	}{
		{"default", func(c *mock.Config) {
			c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
		}},
		{"quiet", func(c *mock.Config) { c.JournalSize = 0 }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			h := newHandler(b, bm.modify)
			reqs := make([]*http.Request, len(mix))
			for i, q := range mix {
				reqs[i] = httptest.NewRequest(http.MethodGet, q, nil)
				reqs[i].Header.Set("X-Bkapi-Authorization", adminAuth)
				reqs[i].RemoteAddr = "127.0.0.1:40000"
			}
			for _, req := range reqs { // every day generated before timing
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				clear(w.header)
				w.status = 0
				h.ServeHTTP(w, reqs[i%len(reqs)])
				if w.status != http.StatusOK {
					b.Fatalf("%s: status %d", mix[i%len(mix)], w.status)
				}
				i++
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

func fetch(b *testing.B, c *http.Client, url string) []byte {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Bkapi-Authorization", adminAuth)
	resp, err := c.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b, err)
	require.Equal(b, http.StatusOK, resp.StatusCode, "%s", body)
	return body
}

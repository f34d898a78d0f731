package mock_test

// Golden answers of the mock on the default fixtures, seed 1, at pinnedNow.
// Rewrite them after an intended change with: make update-golden
// (go test ./mock -run Golden -update), and review the diff.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/mock"
)

var update = flag.Bool("update", false, "rewrite the golden answers under fixtures/golden")

func TestGolden(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	lastHour := "create_time_start=" + ms(pinnedNow.Add(-3600e9)) + "&create_time_end=" + ms(pinnedNow)
	biz2 := "bk_scope_type=biz&bk_scope_id=2&"
	tests := []struct{ name, query, auth string }{
		{"default", biz2 + window, adminAuth},
		{"last-hour-200", biz2 + lastHour + "&length=200", adminAuth},
		{"page-3", biz2 + window + "&offset=20&length=10", adminAuth},
		{"running", biz2 + window + "&status=2&length=50", adminAuth},
		{"failed-scripts", biz2 + window + "&status=4&type=1&length=20", adminAuth},
		{"cron", biz2 + window + "&launch_mode=3&length=20", adminAuth},
		{"name-like", biz2 + window + "&name=%E5%8F%91%E5%B8%83_web&length=20", adminAuth},
		{"operator", biz2 + window + "&operator=ZhangSan&length=20", adminAuth},
		{"ip", biz2 + window + "&ip=10.0.2.11&length=20", adminAuth},
		{"job-instance-id", biz2 + "create_time_start=0&create_time_end=1&job_instance_id=56346800000&operator=nobody", adminAuth},
		{"biz-set", "bk_scope_type=biz_set&bk_scope_id=9991001&" + window, adminAuth},
		{"start-after-end", biz2 + "create_time_start=2&create_time_end=1", adminAuth},
		{"no-permission", "bk_scope_type=biz&bk_scope_id=3&" + window, zhangsanAuth},
		{"not-found", "bk_scope_type=biz&bk_scope_id=999&" + window, adminAuth},
		{"offset-range", biz2 + window + "&offset=10001", adminAuth},
		{"no-auth", biz2 + window, ""},
	}
	if *update && os.Getenv("CI") != "" {
		t.Fatal("-update rewrites the golden answers; it is refused when CI is set")
	}
	dir := filepath.Join("..", "fixtures", "golden")
	t.Run("no orphans", func(t *testing.T) {
		names := map[string]bool{}
		for _, tt := range tests {
			names[tt.name+".txt"] = true
		}
		files, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, f := range files {
			assert.True(t, names[f.Name()], "fixtures/golden/%s belongs to no case of TestGolden: delete it or add the case", f.Name())
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := get(t, srv, tt.query, tt.auth)
			got := goldenText(a)
			file := filepath.Join(dir, tt.name+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
				require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "no golden answer: run make update-golden")
			assert.Equal(t, string(want), got)
		})
	}
}

// goldenText writes an answer as the golden files hold it: the status line,
// the headers sorted (but X-Bkapi-Request-Id, unique per exchange), a blank
// line, the body.
func goldenText(a answer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", a.status)
	keys := make([]string, 0, len(a.header))
	for k := range a.header {
		if k != "X-Bkapi-Request-Id" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range a.header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.Write(a.body)
	return b.String()
}

// Two mocks built separately with the same fixtures, seed and now answer a
// thousand random queries byte for byte alike, asked in opposite orders and
// concurrently; a third with another seed answers differently.
func TestDeterministicAcrossServers(t *testing.T) {
	t.Parallel()
	a, b := newServer(t), newServer(t)
	other := newServer(t, func(c *mock.Config) { c.Seed = 2 })
	rng := rand.New(rand.NewPCG(7, 7))
	pick := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
	queries := make([]string, 1000)
	for i := range queries {
		end := pinnedNow.Add(-time.Duration(rng.IntN(30*24)) * time.Hour)
		start := end.Add(-time.Duration(1+rng.IntN(72)) * time.Hour)
		queries[i] = "bk_scope_type=biz&bk_scope_id=" + pick("2", "2", "3", "100") +
			"&create_time_start=" + ms(start) + "&create_time_end=" + ms(end) +
			pick("", "&status=3", "&status=2", "&type=1", "&launch_mode=3", "&operator=admin", "&name=nginx", "&ip=10.0.2.12") +
			pick("", "&offset=5", "&length=50", "&offset=10&length=200")
	}
	answers := func(srv *httptest.Server, reverse bool) map[string]string {
		out := make(map[string]string, len(queries))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(queries); i += 4 {
					q := queries[i]
					if reverse {
						q = queries[len(queries)-1-i]
					}
					body := string(get(t, srv, q, adminAuth).body)
					mu.Lock()
					out[q] = body
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		return out
	}
	ga, gb := answers(a, false), answers(b, true)
	require.Len(t, ga, len(gb))
	nonEmpty := 0
	for q, body := range ga {
		require.Equal(t, body, gb[q], q)
		if !strings.Contains(body, `"job_instance_list":[]`) {
			nonEmpty++
		}
	}
	assert.Greater(t, nonEmpty, len(ga)/2, "most random queries should find tasks")
	q := "bk_scope_type=biz&bk_scope_id=2&" + window
	assert.NotEqual(t, get(t, a, q, adminAuth).json(t)["data"], get(t, other, q, adminAuth).json(t)["data"], "another seed, another history")
}

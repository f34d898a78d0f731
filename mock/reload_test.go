package mock_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// defaultYAML is the embedded default fixtures file, to edit in tests.
func defaultYAML(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../fixtures/default.yaml")
	require.NoError(t, err)
	return string(b)
}

type reloadState struct {
	Watching   string `json:"watching"`
	Reloads    int    `json:"reloads"`
	LastReload string `json:"last_reload"`
	Error      string `json:"error"`
}

func reloadOf(t *testing.T, srv *httptest.Server) reloadState {
	t.Helper()
	a := do(t, srv, http.MethodGet, "/__mock/config", "", nil)
	var c struct {
		Reload   reloadState `json:"reload"`
		Fixtures struct {
			Source string `json:"source"`
		} `json:"fixtures"`
	}
	require.NoError(t, json.Unmarshal(a.body, &c))
	return c.Reload
}

// eventually waits for cond, polling; the watcher works in the background.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchReloads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "fixtures.yaml")
	original := defaultYAML(t)
	replaceFile(t, path, original)
	fx, err := fixtures.Load(path)
	require.NoError(t, err)
	m, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return pinnedNow }, JournalSize: mock.DefaultJournalSize})
	require.NoError(t, err)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go m.Watch(ctx, path, 10*time.Millisecond)
	eventually(t, "the watcher to read the file", func() bool { return reloadOf(t, srv).Watching == path })

	biz3 := "bk_scope_type=biz&bk_scope_id=3&" + window
	require.Equal(t, 403, get(t, srv, biz3, zhangsanAuth).status)
	switchOn(t, srv, map[string]any{"scenario": "latency:1ms"})
	assert.Zero(t, reloadOf(t, srv).Reloads, "the file as loaded is not reloaded")

	// A good edit: zhangsan may now access biz 3.
	edited := strings.Replace(original, "{name: zhangsan, scopes: [biz:2]}", "{name: zhangsan, scopes: [biz:2, biz:3]}", 1)
	require.NotEqual(t, original, edited)
	replaceFile(t, path, edited)
	eventually(t, "the reload", func() bool { return reloadOf(t, srv).Reloads == 1 })
	assert.Equal(t, 200, get(t, srv, biz3, zhangsanAuth).status)
	assert.Len(t, journalEntries(t, srv, "user=zhangsan"), 2, "the journal survives")
	assert.Len(t, activeScenarios(t, srv), 1, "active scenarios survive")
	assert.Empty(t, reloadOf(t, srv).Error)

	// A broken edit keeps the old fixtures and says why.
	replaceFile(t, path, edited+"\nbogus_key: 1\n")
	eventually(t, "the error", func() bool { return reloadOf(t, srv).Error != "" })
	st := reloadOf(t, srv)
	assert.Contains(t, st.Error, "bogus_key")
	assert.Contains(t, st.Error, path)
	assert.Equal(t, 1, st.Reloads)
	assert.Equal(t, 200, get(t, srv, biz3, zhangsanAuth).status, "the previous fixtures stay")

	// Fixing the file clears the error.
	replaceFile(t, path, original)
	eventually(t, "the second reload", func() bool { return reloadOf(t, srv).Reloads == 2 })
	assert.Empty(t, reloadOf(t, srv).Error)
	assert.Equal(t, 403, get(t, srv, biz3, zhangsanAuth).status)
	assert.Len(t, journalEntries(t, srv, "user=zhangsan"), 4)
	assert.Len(t, activeScenarios(t, srv), 1)

	// A deleted file is reported; the same content back clears it without a reload.
	require.NoError(t, os.Remove(path))
	eventually(t, "the deletion to be reported", func() bool { return strings.Contains(reloadOf(t, srv).Error, "no such file") })
	assert.Equal(t, 403, get(t, srv, biz3, zhangsanAuth).status, "the fixtures stay")
	replaceFile(t, path, original)
	eventually(t, "the error to clear", func() bool { return reloadOf(t, srv).Error == "" })
	assert.Equal(t, 2, reloadOf(t, srv).Reloads, "nothing to reload")

	// A directory in its place is reported; a good file back reloads.
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o755))
	eventually(t, "the directory to be reported", func() bool { return strings.Contains(reloadOf(t, srv).Error, "not a regular file") })
	require.NoError(t, os.Remove(path))
	replaceFile(t, path, edited)
	eventually(t, "the third reload", func() bool { return reloadOf(t, srv).Reloads == 3 })
	assert.Empty(t, reloadOf(t, srv).Error)
	assert.Equal(t, 200, get(t, srv, biz3, zhangsanAuth).status)
}

// replaceFile replaces path with content at once, as editors do (a write to a
// temporary file, then a rename), so that the watcher never reads half a file.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func TestReload(t *testing.T) {
	t.Parallel()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	m, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return pinnedNow }, JournalSize: mock.DefaultJournalSize})
	require.NoError(t, err)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)

	// Reload while requests run: each sees one generation whole (race detector).
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v4/get_job_instance_list?"+biz2, nil)
			req.Header.Set("X-Bkapi-Authorization", adminAuth)
			if resp, err := srv.Client().Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	edited, err := fixtures.Parse("edited.yaml", []byte(strings.Replace(defaultYAML(t), "{name: guest, scopes: []}", "{name: guest, scopes: [biz:2]}", 1)))
	require.NoError(t, err)
	for range 5 {
		require.NoError(t, m.Reload(edited))
	}
	<-done
	guest := `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"guest"}`
	assert.Equal(t, 200, get(t, srv, biz2, guest).status)
	assert.Len(t, journalEntries(t, srv, "limit=100"), 21)

	assert.Error(t, m.Reload(nil))
	assert.NotEmpty(t, reloadOf(t, srv).Error)
	assert.Equal(t, 200, get(t, srv, biz2, guest).status, "a failed reload changes nothing")
}

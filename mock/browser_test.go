package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminPageInBrowser drives the admin page in headless Chromium through
// chromedriver's WebDriver HTTP API: the page loads and shows the seed; a
// request sent from outside (the "curl") shows up in its journal; a scenario
// switched on by clicking in the page changes the next API answer, and
// "All off" switches it off again.
//
// It needs chromium and chromedriver (Debian: apt-get install chromium
// chromium-driver; .ci/run installs them). Without them it skips, unless
// BKJOB_BROWSER_TEST=1, when it fails.
func TestAdminPageInBrowser(t *testing.T) {
	chromium, driver := browserBinaries(t)
	srv := newServer(t)
	wd := startWebDriver(t, driver, chromium)

	wd.navigate(srv.URL + "/__mock/")
	wd.waitFor("the page to load and show the seed", `return document.body.dataset.ready === 'true' && document.querySelector('#seed').textContent`, "1")

	// A request from outside the page shows up in its journal.
	a := get(t, srv, biz2+"&name=browser-probe", adminAuth)
	require.Equal(t, http.StatusOK, a.status)
	wd.waitFor("the request in the journal",
		`return [...document.querySelectorAll('#journal-table tbody tr')].some(tr => tr.textContent.includes('browser-probe') && tr.textContent.includes('200'))`, true)

	// Switch no-permission on with a click; the next answer is a 403.
	wd.click(`#switches button[data-scenario="no-permission"]`)
	wd.waitFor("the scenario in the active list", `return document.querySelector('#active tbody').textContent.includes('no-permission')`, true)
	assertV4(t, get(t, srv, biz2, zhangsanAuth), wantV4{status: 403, code: "NO_PERMISSION", message: "用户(zhangsan)权限不足，请前往权限中心确认并申请补充后重试", permissionFor: "2"})
	wd.waitFor("the 403 in the journal",
		`return [...document.querySelectorAll('#journal-table tbody tr')].some(tr => tr.textContent.includes('no-permission (admin:1)') && tr.textContent.includes('403'))`, true)

	// All off: the real answer again.
	wd.click(`#clear-scenarios`)
	wd.waitFor("the active list to empty", `return document.querySelectorAll('#active tbody tr').length`, float64(0))
	assert.Equal(t, http.StatusOK, get(t, srv, biz2, zhangsanAuth).status)

	// The data browser lists the history of the scope picked.
	wd.waitFor("the data browser", `return document.querySelector('#data-error').hidden`, true)

	if path := os.Getenv("BKJOB_BROWSER_SCREENSHOT"); path != "" { // to look at the page
		var png []byte
		require.NoError(t, wd.call(http.MethodGet, wd.session+"/screenshot", nil, &png))
		require.NoError(t, os.WriteFile(path, png, 0o644))
	}
}

func browserBinaries(t *testing.T) (chromium, driver string) {
	t.Helper()
	required := os.Getenv("BKJOB_BROWSER_TEST") == "1"
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	chromium = find("chromium", "chromium-browser", "google-chrome")
	driver = find("chromedriver")
	if chromium == "" || driver == "" {
		if required {
			t.Fatalf("BKJOB_BROWSER_TEST=1 but chromium (%q) or chromedriver (%q) is missing: apt-get install chromium chromium-driver", chromium, driver)
		}
		t.Skip("chromium or chromedriver not installed (apt-get install chromium chromium-driver); BKJOB_BROWSER_TEST=1 makes this a failure")
	}
	return chromium, driver
}

// webDriver is a minimal client of the W3C WebDriver HTTP API.
type webDriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT
	session string
	client  *http.Client
}

// lockedBuffer collects a process's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startWebDriver starts chromedriver and a headless Chromium session; both
// end with the test.
func startWebDriver(t *testing.T, driver, chromium string) *webDriver {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, driver, "--port="+strconv.Itoa(port))
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("chromedriver output:\n%s", out.String())
		}
	})
	wd := &webDriver{t: t, base: "http://127.0.0.1:" + strconv.Itoa(port), client: &http.Client{Timeout: 60 * time.Second}}

	deadline := time.Now().Add(30 * time.Second)
	for {
		var status struct {
			Ready bool `json:"ready"`
		}
		if err := wd.call(http.MethodGet, "/status", nil, &status); err == nil && status.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not start:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
				"--window-size=1400,1800", "--user-data-dir=" + t.TempDir()},
		},
	}}}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	require.NoError(t, wd.call(http.MethodPost, "/session", caps, &session), "chromedriver output:\n%s", out.String())
	require.NotEmpty(t, session.SessionID)
	wd.session = "/session/" + session.SessionID
	t.Cleanup(func() { wd.call(http.MethodDelete, wd.session, nil, nil) })
	return wd
}

// call sends one WebDriver command and decodes its "value" into out.
func (wd *webDriver) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, wd.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := wd.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, env.Value)
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

func (wd *webDriver) navigate(url string) {
	wd.t.Helper()
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/url", map[string]any{"url": url}, nil))
}

func (wd *webDriver) eval(script string) (any, error) {
	var v any
	err := wd.call(http.MethodPost, wd.session+"/execute/sync", map[string]any{"script": script, "args": []any{}}, &v)
	return v, err
}

// waitFor evaluates script until it returns want.
func (wd *webDriver) waitFor(what, script string, want any) {
	wd.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got any
	var err error
	for time.Now().Before(deadline) {
		if got, err = wd.eval(script); err == nil && assert.ObjectsAreEqual(want, got) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	status, _ := wd.eval(`return document.querySelector('#status-line') && document.querySelector('#status-line').textContent`)
	wd.t.Fatalf("timed out waiting for %s: got %v (err %v); page status line: %v", what, got, err, status)
}

// click clicks the element css selects, as a user would.
func (wd *webDriver) click(css string) {
	wd.t.Helper()
	var el map[string]string
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/element", map[string]any{"using": "css selector", "value": css}, &el))
	var id string
	for k, v := range el {
		if strings.HasPrefix(k, "element-") {
			id = v
		}
	}
	require.NotEmpty(wd.t, id, "no element %s", css)
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/element/"+id+"/click", map[string]any{}, nil))
}

package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// browserNow is the pinned clock of the mock the browser test drives; whole
// seconds, so that the page's datetime-local fields hold it exactly.
var browserNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

const (
	browserSeed      = 7 // not the default 1, so the page shows the configured seed
	browserAdmin     = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"admin"}`
	browserZhangsan  = `{"bk_app_code":"demo","bk_app_secret":"s3cr3t","bk_username":"zhangsan"}`
	browserDataTable = `#data-table tbody tr`
)

// TestAdminPageInBrowser drives the admin page in headless Chromium through
// chromedriver's WebDriver HTTP API and checks what a person would see: the
// configured seed and clock; a request sent from outside (the "curl") in the
// journal with its user and status; a scenario switched on by a click that
// changes the next API answer, and "All off" that ends it; the data browser
// listing, for the scope, window and filters typed into its form, the tasks
// the API answers for the same query, and the mock's message when the query
// is refused.
//
// It needs chromium and chromedriver (Debian: apt-get install chromium
// chromium-driver; .ci/run installs them). Without them it skips, unless
// BKJOB_BROWSER_TEST=1, when it fails.
func TestAdminPageInBrowser(t *testing.T) {
	chromium, driver := browserBinaries(t)
	srv := browserServer(t)
	wd := startWebDriver(t, driver, chromium)

	wd.navigate(srv.URL + "/__mock/")
	wd.waitFor("the page to load and show the seed", `return document.body.dataset.ready === 'true' && document.querySelector('#seed').textContent`, strconv.Itoa(browserSeed))
	wd.waitFor("the pinned clock", `return document.querySelector('#now').textContent.includes('(' + arguments[0] + ')')`, true, browserNow.UnixMilli())

	// A request from outside the page shows up in its journal, with its user and status.
	status, body := browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", 30*24*time.Hour)+"&name=browser-probe", browserAdmin)
	require.Equal(t, http.StatusOK, status, "body: %s", body)
	wd.waitFor("the request in the journal", journalRow(`tr.cells[4].textContent.includes('name=browser-probe')`), []any{"admin", "", "200"})

	// Switch no-permission on with a click; the next answer is a 403.
	wd.click(`#switches button[data-scenario="no-permission"]`)
	wd.waitFor("the scenario in the active list", `return [...document.querySelectorAll('#active tbody tr')].map(tr => tr.cells[1].textContent)`, []any{"no-permission"})
	wd.waitFor("its switch lit", `return document.querySelector('#switches button[data-scenario="no-permission"]').classList.contains('on')`, true)
	status, body = browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", 30*24*time.Hour), browserZhangsan)
	require.Equal(t, http.StatusForbidden, status, "body: %s", body)
	assert.Contains(t, string(body), `"NO_PERMISSION"`)
	wd.waitFor("the 403 in the journal", journalRow(`tr.cells[6].textContent.includes('no-permission (admin:1)')`), []any{"zhangsan", "no-permission (admin:1)", "403"})

	// All off: the real answer again.
	wd.click(`#clear-scenarios`)
	wd.waitFor("the active list to empty", `return document.querySelectorAll('#active tbody tr').length`, float64(0))
	wd.waitFor("no switch lit", `return document.querySelectorAll('#switches button.on').length`, float64(0))
	status, body = browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", 30*24*time.Hour), browserZhangsan)
	assert.Equal(t, http.StatusOK, status, "body: %s", body)

	// The data browser lists, on opening, the last day of the first scope.
	assert.Equal(t, []any{"biz:2", float64(browserNow.Add(-24 * time.Hour).UnixMilli()), float64(browserNow.UnixMilli())},
		wd.eval(`const f = document.querySelector('#data-form').elements;
			return [f.namedItem('scope').value, new Date(f.namedItem('from').value).getTime(), new Date(f.namedItem('to').value).getTime()]`))
	opening := browserWindow("biz:2", 24*time.Hour) + "&offset=0&length=20"
	openingIDs := apiIDs(t, srv, opening)
	require.NotEmpty(t, openingIDs)
	wd.waitFor("the opening rows", dataIDs, openingIDs)

	// A scope and window typed into the form list what the API answers for them.
	wd.clickOption(`#data-scope`, "biz:3")
	wd.setDateTime("from", browserNow.Add(-6*time.Hour))
	wd.setDateTime("to", browserNow)
	wd.typeInto(`#data-form input[name="length"]`, "7")
	query := browserWindow("biz:3", 6*time.Hour) + "&offset=0&length=7"
	ids := apiIDs(t, srv, query)
	require.Len(t, ids, 7, "the API has at least 7 tasks of biz:3 in 6 h")
	require.NotEqual(t, openingIDs[0], ids[0], "the query must change what the page shows")
	wd.click(`#data-form button[type="submit"]`)
	wd.waitFor("the rows of biz:3, 6 h, length=7", dataIDs, ids)
	assert.Equal(t, "7 tasks", wd.text(`#status-line`))
	assert.True(t, wd.hidden(`#data-error`))

	// A status filter narrows the rows as it narrows the API's answer.
	wd.clickOption(`#data-form select[name="status"]`, "4")
	failed := apiIDs(t, srv, query+"&status=4")
	require.NotEmpty(t, failed, "biz:3 has failed tasks in 6 h")
	require.NotEqual(t, ids, failed, "the filter must change the rows")
	wd.click(`#data-form button[type="submit"]`)
	wd.waitFor("the rows with status=4", dataIDs, failed)
	wd.waitFor("every row failed", `return [...document.querySelectorAll('`+browserDataTable+`')].every(tr => tr.cells[6].textContent.startsWith('4 '))`, true)

	// A query the mock refuses shows its message, and no rows.
	wd.typeInto(`#data-form input[name="length"]`, "ten")
	status, body = browserGet(t, srv, "/__mock/data", browserWindow("biz:3", 6*time.Hour)+"&status=4&offset=0&length=ten", "")
	require.Equal(t, http.StatusBadRequest, status, "body: %s", body)
	var refused struct {
		MockError struct {
			Message string `json:"message"`
		} `json:"mock_error"`
	}
	require.NoError(t, json.Unmarshal(body, &refused), "body: %s", body)
	require.NotEmpty(t, refused.MockError.Message, "body: %s", body)
	wd.click(`#data-form button[type="submit"]`)
	wd.waitFor("the refusal in #data-error", `const e = document.querySelector('#data-error'); return !e.hidden && e.textContent`, refused.MockError.Message)
	assert.Equal(t, float64(0), wd.eval(`return document.querySelectorAll('`+browserDataTable+`').length`))
	assert.Equal(t, "data: "+refused.MockError.Message, wd.text(`#status-line`))

	// Corrected, the query lists its rows again and the message goes.
	wd.typeInto(`#data-form input[name="length"]`, "7")
	wd.click(`#data-form button[type="submit"]`)
	wd.waitFor("the rows with status=4 again", dataIDs, failed)
	wd.waitFor("the refusal gone", `return document.querySelector('#data-error').hidden`, true)

	wd.screenshot("")
}

// TestProxyAdminPageInBrowser drives the admin page of a proxy (bkjob-mock
// proxy) in front of the mock with --quirks: the page says where it
// proxies to and hides the mock's own scenarios and data; an answer that
// breaks the contract shows its check in the journal's contract column, a
// good one "ok"; "with contract findings" keeps only the rows with findings;
// the entry lists its findings.
func TestProxyAdminPageInBrowser(t *testing.T) {
	chromium, driver := browserBinaries(t)
	upstream := httptest.NewServer(newBrowserMock(t, true))
	t.Cleanup(upstream.Close)
	u, err := url.Parse(upstream.URL)
	require.NoError(t, err)
	in, err := contract.NewInspector()
	require.NoError(t, err)
	h, err := mock.New(mock.Config{JournalSize: mock.DefaultJournalSize, Proxy: &mock.ProxyConfig{Upstream: u,
		Inspect: func(a mock.ProxiedAnswer) []mock.Finding {
			var out []mock.Finding
			for _, f := range in.Inspect(contract.Answer(a)) {
				out = append(out, mock.Finding(f))
			}
			return out
		}}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	wd := startWebDriver(t, driver, chromium)

	wd.navigate(srv.URL + "/__mock/")
	wd.waitFor("the page to load", `return document.body.dataset.ready === 'true'`, true)
	wd.waitFor("the upstream", `return document.querySelector('#upstream').textContent.startsWith(arguments[0])`, true, upstream.URL)
	assert.Equal(t, []any{"wall clock", "journal", "proxy to"},
		wd.eval(`return [...document.querySelectorAll('#config dt')].filter(d => d.checkVisibility()).map(d => d.textContent)`))
	assert.True(t, wd.eval(`return getComputedStyle(document.querySelector('#scenarios')).display === 'none' && getComputedStyle(document.querySelector('#data')).display === 'none'`) == true,
		"a proxy has no scenarios or data of its own")

	for _, q := range []string{"", "&status=12", "&operator=admin", "&type=3"} {
		status, body := browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", 24*time.Hour)+q, browserAdmin)
		require.Contains(t, []int{200, 500}, status, "body: %s", body)
	}
	// The contract cell of the first row whose request holds arguments[0].
	const contractOf = `const tr = [...document.querySelectorAll('#journal-table tbody tr')].find(tr => tr.cells[4].textContent.includes(arguments[0]));
		return tr ? tr.cells[11].textContent : null`
	wd.waitFor("the finding of status=12 in the contract column", contractOf, "1: rules/invalid/status", "status=12")
	wd.waitFor("the finding of type=3", contractOf, "1: rules/invalid/type", "type=3")
	wd.waitFor("a good answer's ok", contractOf, "ok", "operator=admin")
	assert.Equal(t, float64(4), wd.eval(`return document.querySelectorAll('#journal-table tbody tr').length`))

	// The filter: only the rows with findings.
	wd.click(`#journal-filter input[name="findings"]`)
	rows := `return [...document.querySelectorAll('#journal-table tbody tr')].map(tr => tr.cells[11].textContent)`
	wd.waitFor("only the rows with findings", rows, []any{"1: rules/invalid/type", "1: rules/invalid/status"})
	status, body := browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", 24*time.Hour)+"&launch_mode=4", browserAdmin)
	require.Equal(t, http.StatusInternalServerError, status, "body: %s", body)
	browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", 24*time.Hour)+"&status=3", browserAdmin)
	wd.waitFor("a new row with findings, and only it", rows, []any{"1: rules/invalid/launch_mode", "1: rules/invalid/type", "1: rules/invalid/status"})

	// The entry lists its findings.
	wd.click(`#journal-table tbody tr:first-child`)
	wd.waitFor("the entry's findings", `return [...document.querySelectorAll('#entry-contract tbody tr')].map(tr => tr.cells[0].textContent)`, []any{"rules/invalid/launch_mode"})
	assert.Contains(t, wd.text(`#entry-contract tbody tr td:nth-child(2)`), "500 INTERNAL")
	wd.screenshot("proxy")
}

// newBrowserMock is the mock of browserServer, with or without quirks.
func newBrowserMock(t *testing.T, quirks bool) http.Handler {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	h, err := mock.New(mock.Config{Fixtures: fx, Seed: browserSeed, Now: func() time.Time { return browserNow }, Quirks: quirks})
	require.NoError(t, err)
	return h
}

// screenshot saves the window as PNG to $BKJOB_BROWSER_SCREENSHOT with
// suffix before its extension, when that is set: to look at the page.
func (wd *webDriver) screenshot(suffix string) {
	wd.t.Helper()
	path := os.Getenv("BKJOB_BROWSER_SCREENSHOT")
	if path == "" {
		return
	}
	if suffix != "" {
		path = strings.TrimSuffix(path, ".png") + "-" + suffix + ".png"
	}
	var png []byte
	require.NoError(wd.t, wd.call(http.MethodGet, wd.session+"/screenshot", nil, &png))
	require.NoError(wd.t, os.WriteFile(path, png, 0o644))
}

// browserServer starts a mock with the default fixtures at browserNow. The
// listener httptest opens on port 0 stays open until the test ends.
func browserServer(t *testing.T) *httptest.Server {
	t.Helper()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	h, err := mock.New(mock.Config{Fixtures: fx, Seed: browserSeed, Now: func() time.Time { return browserNow }, JournalSize: mock.DefaultJournalSize})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// browserWindow is the query of a scope ("biz:3") over the span before browserNow.
func browserWindow(scope string, span time.Duration) string {
	typ, id, _ := strings.Cut(scope, ":")
	return url.Values{
		"bk_scope_type":     {typ},
		"bk_scope_id":       {id},
		"create_time_start": {strconv.FormatInt(browserNow.Add(-span).UnixMilli(), 10)},
		"create_time_end":   {strconv.FormatInt(browserNow.UnixMilli(), 10)},
	}.Encode()
}

// browserGet sends GET path?query, with auth as X-Bkapi-Authorization if set.
func browserGet(t *testing.T, srv *httptest.Server, path, query, auth string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path+"?"+query, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("X-Bkapi-Authorization", auth)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// apiIDs is the job_instance_ids the API lists for query, as the page shows them.
func apiIDs(t *testing.T, srv *httptest.Server, query string) []any {
	t.Helper()
	status, body := browserGet(t, srv, bkjob.UserAPIPath, query, browserAdmin)
	require.Equal(t, http.StatusOK, status, "body: %s", body)
	var list struct {
		Data struct {
			Jobs []struct {
				ID json.Number `json:"job_instance_id"`
			} `json:"job_instance_list"`
		} `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	require.NoError(t, d.Decode(&list), "body: %s", body)
	ids := []any{}
	for _, j := range list.Data.Jobs {
		ids = append(ids, j.ID.String())
	}
	return ids
}

// dataIDs is a script returning the job_instance_id column of the data browser.
const dataIDs = `return [...document.querySelectorAll('` + browserDataTable + `')].map(tr => tr.cells[0].textContent)`

// journalRow is a script returning the user, scenario and status cells of the
// first journal row that match (a JavaScript condition on tr), or null.
func journalRow(match string) string {
	return `const tr = [...document.querySelectorAll('#journal-table tbody tr')].find(tr => ` + match + `);
		return tr ? [tr.cells[5].textContent, tr.cells[6].textContent, tr.cells[7].textContent] : null`
}

// browserBinaries finds chromium and chromedriver, or skips (fails when
// BKJOB_BROWSER_TEST=1).
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

// lockedBuffer collects a process's output for failure messages, and signals
// wrote after each write.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.wrote <- struct{}{}:
	default: // a signal is already pending
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// driverPort is the line chromedriver prints once it listens.
var driverPort = regexp.MustCompile(`ChromeDriver was started successfully on port (\d+)`)

// startWebDriver starts chromedriver and a headless Chromium session; both
// end with the test.
//
// chromedriver is asked for --port=0: it binds a port the kernel picks and
// prints it, and the test reads the port from that line. Picking a free port
// here, closing it and passing its number would let another process take the
// port in between, and the test would then talk to that process.
func startWebDriver(t *testing.T, driver, chromium string) *webDriver {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, driver, "--port=0")
	out := &lockedBuffer{wrote: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("chromedriver output:\n%s", out.String())
		}
	})

	var port string
	timeout := time.After(30 * time.Second)
	for port == "" {
		select {
		case <-out.wrote:
			if m := driverPort.FindStringSubmatch(out.String()); m != nil {
				port = m[1]
			}
		case <-exited:
			t.Fatalf("chromedriver exited before it listened:\n%s", out.String())
		case <-timeout:
			t.Fatalf("chromedriver did not say its port:\n%s", out.String())
		}
	}
	wd := &webDriver{t: t, base: "http://127.0.0.1:" + port, client: &http.Client{Timeout: 60 * time.Second}}
	var status struct {
		Ready bool `json:"ready"`
	}
	require.NoError(t, wd.call(http.MethodGet, "/status", nil, &status))
	require.True(t, status.Ready, "chromedriver not ready:\n%s", out.String())

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

// navigate loads url in the session's window.
func (wd *webDriver) navigate(url string) {
	wd.t.Helper()
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/url", map[string]any{"url": url}, nil))
}

// try runs script in the page with args (arguments[0], ...) and returns its
// value or the WebDriver error.
func (wd *webDriver) try(script string, args ...any) (any, error) {
	if args == nil {
		args = []any{}
	}
	var v any
	err := wd.call(http.MethodPost, wd.session+"/execute/sync", map[string]any{"script": script, "args": args}, &v)
	return v, err
}

// tryAsync runs script in the page as an asynchronous script: it ends by
// calling its last argument (arguments[0] when there are no args) with its value.
func (wd *webDriver) tryAsync(script string, args ...any) (any, error) {
	if args == nil {
		args = []any{}
	}
	var v any
	err := wd.call(http.MethodPost, wd.session+"/execute/async", map[string]any{"script": script, "args": args}, &v)
	return v, err
}

// eval runs script in the page and returns its value.
func (wd *webDriver) eval(script string, args ...any) any {
	wd.t.Helper()
	v, err := wd.try(script, args...)
	require.NoError(wd.t, err, "script: %s", script)
	return v
}

// text is the text content of the element css selects.
func (wd *webDriver) text(css string) any {
	wd.t.Helper()
	return wd.eval(`return document.querySelector(arguments[0]).textContent`, css)
}

// hidden tells whether the element css selects is hidden.
func (wd *webDriver) hidden(css string) bool {
	wd.t.Helper()
	return wd.eval(`return document.querySelector(arguments[0]).hidden`, css) == true
}

// waitFor evaluates script until it returns want.
func (wd *webDriver) waitFor(what, script string, want any, args ...any) {
	wd.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got any
	var err error
	for time.Now().Before(deadline) {
		if got, err = wd.try(script, args...); err == nil && assert.ObjectsAreEqual(want, got) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	status, _ := wd.try(`return document.querySelector('#status-line') && document.querySelector('#status-line').textContent`)
	dataErr, _ := wd.try(`return document.querySelector('#data-error') && document.querySelector('#data-error').textContent`)
	wd.t.Fatalf("timed out waiting for %s:\n got  %v (err %v)\n want %v\npage status line: %v; data error: %v", what, got, err, want, status, dataErr)
}

// element finds the element css selects.
func (wd *webDriver) element(css string) string {
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
	return id
}

// click clicks the element css selects, as a user would.
func (wd *webDriver) click(css string) {
	wd.t.Helper()
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/element/"+wd.element(css)+"/click", map[string]any{}, nil))
}

// clickOption picks the option of value in the select css selects, by a click.
func (wd *webDriver) clickOption(css, value string) {
	wd.t.Helper()
	wd.click(css + ` option[value="` + value + `"]`)
	require.Equal(wd.t, value, wd.eval(`return document.querySelector(arguments[0]).value`, css), "select %s", css)
}

// typeInto empties the input css selects and types text into it.
func (wd *webDriver) typeInto(css, text string) {
	wd.t.Helper()
	id := wd.element(css)
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/element/"+id+"/clear", map[string]any{}, nil))
	require.NoError(wd.t, wd.call(http.MethodPost, wd.session+"/element/"+id+"/value", map[string]any{"text": text}, nil))
	require.Equal(wd.t, text, wd.eval(`return document.querySelector(arguments[0]).value`, css), "input %s", css)
}

// setDateTime sets the data form's datetime-local input called name to at, in
// the browser's time zone. It sets the value by script: typed keys would have
// to follow the browser's locale's field order.
func (wd *webDriver) setDateTime(name string, at time.Time) {
	wd.t.Helper()
	offset, ok := wd.eval(`return new Date(arguments[0]).getTimezoneOffset()`, at.UnixMilli()).(float64)
	require.True(wd.t, ok)
	local := at.In(time.FixedZone("browser", -int(offset)*60)).Format("2006-01-02T15:04:05")
	got := wd.eval(`const i = document.querySelector('#data-form').elements.namedItem(arguments[0]);
		i.value = arguments[1];
		i.dispatchEvent(new Event('input', {bubbles: true}));
		i.dispatchEvent(new Event('change', {bubbles: true}));
		return new Date(i.value).getTime()`, name, local)
	require.Equal(wd.t, float64(at.UnixMilli()), got, "%s holds %s", name, local)
}

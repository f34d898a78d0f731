package mock_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
)

// browserEntry is a journal entry as GET /__mock/requests/{id} answers it.
type browserEntry struct {
	ID        int       `json:"id"`
	Time      time.Time `json:"time"`
	MockTime  time.Time `json:"mock_time"`
	Method    string    `json:"method"`
	URL       string    `json:"url"`
	Status    int       `json:"status"`
	Duration  float64   `json:"duration_ms"`
	GatewayID string    `json:"bkapi_request_id"`
	Problems  []struct {
		Param    string `json:"param"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Reported bool   `json:"reported"`
	} `json:"problems"`
	Body *string `json:"response_body"`
}

// adminJSON reads GET path from the mock's admin API into v.
func adminJSON(t *testing.T, srvURL, path string, v any) {
	t.Helper()
	resp, err := http.Get(srvURL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v), path)
}

func adminText(t *testing.T, srvURL, path string) string {
	t.Helper()
	resp, err := http.Get(srvURL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b.String())
	return b.String()
}

// TestAdminPageQAViews drives the page as a QA engineer reading what
// happened: the timeline of the journal, the request column, the two clocks,
// one entry opened from the timeline and by its permalink (query, masked
// headers, scenarios, every problem with the reported one marked, response,
// curl, HAR, switch on again), hidden activations, the switch lit only for
// its exact scenario, and the chart of the history, each compared with what
// the admin API answers.
func TestAdminPageQAViews(t *testing.T) {
	chromium, driver := browserBinaries(t)
	srv := browserServer(t)
	wd := startWebDriver(t, driver, chromium)
	wd.navigate(srv.URL + "/__mock/")
	wd.waitFor("the page", `return document.body.dataset.ready === 'true'`, true)
	assert.Equal(t, "2026-11-29T10:00:00+08:00 (1795917600000)", wd.text(`#now`))
	assert.Regexp(t, `^20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ$`, wd.text(`#wall`))
	assert.Equal(t, []any{"seed", "mock clock", "wall clock", "fixtures", "quirks", "base path", "journal"},
		wd.eval(`return [...document.querySelectorAll('#config dt')].filter(d => d.checkVisibility()).map(d => d.textContent)`))

	// Five exchanges: two that differ only in their last parameter, a 400
	// with three problems, a 403 by header, a slow one.
	long := browserWindow("biz:2", 24*time.Hour) + "&name=" + url.QueryEscape("巡检 daily") + "&length=5&operator="
	send := func(query, auth string, header ...string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+bkjob.UserAPIPath+"?"+query, nil)
		require.NoError(t, err)
		req.Header.Set("X-Bkapi-Authorization", auth)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	send(long+"aaaa", browserAdmin)
	send(long+"bbbb", browserAdmin)
	send(browserWindow("biz:2", time.Hour)+"&length=500&status=12&offset=x", browserZhangsan)
	send(browserWindow("biz:2", time.Hour), browserZhangsan, "X-Mock-Scenario", "no-permission")
	send(browserWindow("biz:2", time.Hour), browserAdmin, "X-Mock-Scenario", "latency:150ms")
	var journal struct {
		Entries []browserEntry `json:"entries"`
	}
	adminJSON(t, srv.URL, "/__mock/requests", &journal)
	require.Len(t, journal.Entries, 5)
	byID := map[int]browserEntry{}
	wantMarks := map[string]any{}
	for _, e := range journal.Entries {
		byID[e.ID] = e
		wantMarks[strconv.Itoa(e.ID)] = "mark s" + strconv.Itoa(e.Status)[:1]
	}
	aaaa, bbbb, bad, denied, slow := journal.Entries[4], journal.Entries[3], journal.Entries[2], journal.Entries[1], journal.Entries[0]
	require.Equal(t, []int{200, 200, 400, 403, 200}, []int{aaaa.Status, bbbb.Status, bad.Status, denied.Status, slow.Status})

	// The timeline: one mark per request, coloured by status class, the slow one tallest.
	wd.waitFor("a mark per request, coloured by status", `const m = {};
		for (const r of document.querySelectorAll('#timeline rect.mark')) m[r.dataset.id] = r.getAttribute('class');
		return m`, wantMarks)
	assert.Equal(t, strconv.Itoa(slow.ID), wd.eval(`return [...document.querySelectorAll('#timeline rect.mark')]
		.sort((a, b) => b.getAttribute('height') - a.getAttribute('height'))[0].dataset.id`))
	assert.Contains(t, wd.text(`#timeline-caption`), "5 requests")

	// The request column shows the parameter that differs, whole, and the clocks.
	row := func(id int) string { return `#journal-table tbody tr[data-id="` + strconv.Itoa(id) + `"]` }
	for _, e := range []struct {
		entry browserEntry
		want  string
	}{{aaaa, "operator=aaaa"}, {bbbb, "operator=bbbb"}} {
		cell := wd.eval(`const td = document.querySelector(arguments[0]).cells[4];
			return [td.textContent.includes(arguments[1]), td.textContent.includes('name=巡检 daily'), td.scrollWidth <= td.clientWidth,
				getComputedStyle(td).overflow, document.querySelector(arguments[0]).cells[1].textContent, document.querySelector(arguments[0]).cells[2].textContent]`,
			row(e.entry.ID), e.want)
		assert.Equal(t, []any{true, true, true, "visible", e.entry.Time.UTC().Format("15:04:05.000"), "2026-11-29 02:00:00.000"}, cell,
			"row %d: parameter in sight, decoded, not clipped; wall and mock clock", e.entry.ID)
	}
	assert.Equal(t, []any{"wall clock (UTC)", "mock clock (UTC)"}, wd.eval(`return [...document.querySelectorAll('#journal-table th')].slice(1, 3).map(th => th.textContent)`))

	// A click on the 400's mark opens it, with its permalink.
	wd.click(`#timeline rect.mark[data-id="` + strconv.Itoa(bad.ID) + `"]`)
	wd.waitFor("the entry of the 400", `return !document.querySelector('#entry').hidden && document.querySelector('#entry-id').textContent`, "#"+strconv.Itoa(bad.ID))
	assert.Equal(t, "#/requests/"+strconv.Itoa(bad.ID), wd.eval(`return location.hash`))
	wd.waitFor("its row selected", `return document.querySelector(arguments[0]).classList.contains('selected')`, true, row(bad.ID))
	assert.Equal(t, "GET "+bad.URL+" HTTP/1.1", strings.SplitN(wd.text(`#entry-request-line`).(string), "\n", 2)[0])
	wantQuery := []any{}
	for _, pair := range strings.Split(strings.SplitN(bad.URL, "?", 2)[1], "&") {
		k, v, _ := strings.Cut(pair, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		wantQuery = append(wantQuery, []any{k, v})
	}
	assert.Equal(t, wantQuery, wd.eval(`return [...document.querySelectorAll('#entry-query tbody tr')].map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])`))
	require.Len(t, bad.Problems, 3)
	wantProblems := []any{}
	for _, p := range bad.Problems {
		mark := "also"
		if p.Reported {
			mark = "▶ reported"
		}
		wantProblems = append(wantProblems, []any{mark, p.Param, p.Code, p.Message})
	}
	assert.Equal(t, wantProblems, wd.eval(`return [...document.querySelectorAll('#entry-problems tbody tr')].map(tr => [...tr.cells].slice(0, 4).map(c => c.textContent))`))
	assert.Equal(t, float64(1), wd.eval(`return document.querySelectorAll('#entry-problems tbody tr.reported').length`))
	assert.Equal(t, "400", wd.text(`#entry-status`))
	assert.Equal(t, bad.GatewayID, wd.eval(`const tr = [...document.querySelectorAll('#entry-response-headers tbody tr')].find(tr => tr.cells[0].textContent === 'X-Bkapi-Request-Id');
		return tr && tr.cells[1].textContent`))
	assert.Equal(t, `{"bk_app_code":"demo","bk_app_secret":"***","bk_username":"zhangsan"}`, wd.eval(`const tr = [...document.querySelectorAll('#entry-request-headers tbody tr')].find(tr => tr.cells[0].textContent === 'X-Bkapi-Authorization');
		return tr && tr.cells[1].textContent`))
	assert.Equal(t, false, wd.eval(`return document.body.textContent.includes('s3cr3t')`), "no secret on the page")
	var shownBody, sentBody any
	require.NoError(t, json.Unmarshal([]byte(wd.text(`#entry-body`).(string)), &shownBody))
	var full browserEntry
	adminJSON(t, srv.URL, "/__mock/requests/"+strconv.Itoa(bad.ID), &full)
	require.NotNil(t, full.Body)
	require.NoError(t, json.Unmarshal([]byte(*full.Body), &sentBody))
	assert.Equal(t, sentBody, shownBody)
	assert.Contains(t, wd.text(`#entry-body`), "\n  \"error\": {", "pretty-printed")
	assert.Equal(t, "none", wd.text(`#entry-scenarios tbody`))
	assert.True(t, wd.hidden(`#entry-again`), "nothing to switch on again")
	wd.screenshot("entry")

	// curl and HAR of this entry.
	wd.click(`#entry-curl-button`)
	want := adminText(t, srv.URL, "/__mock/requests/"+strconv.Itoa(bad.ID)+"/curl")
	wd.waitFor("the curl command", `const p = document.querySelector('#entry-curl'); return !p.hidden && p.textContent`, want)
	assert.Equal(t, srv.URL+"/__mock/requests/"+strconv.Itoa(bad.ID)+"/har", wd.eval(`return document.querySelector('#entry-har').href`))
	var harIDs any
	harIDs, err := wd.tryAsync(`fetch(document.querySelector('#entry-har').href).then(r => r.json()).then(h => arguments[0](h.log.entries.map(e => e._id)))`)
	require.NoError(t, err)
	assert.Equal(t, []any{float64(bad.ID)}, harIDs)

	// The permalink of the 403, opened in a fresh page: its scenario, and a
	// button that switches it on again for the same user and scope.
	wd.navigate(srv.URL + "/__mock/#/requests/" + strconv.Itoa(denied.ID))
	wd.waitFor("the 403 by its permalink", `return document.body.dataset.ready === 'true' && !document.querySelector('#entry').hidden && document.querySelector('#entry-id').textContent`, "#"+strconv.Itoa(denied.ID))
	assert.Equal(t, []any{[]any{"no-permission", "header"}}, wd.eval(`return [...document.querySelectorAll('#entry-scenarios tbody tr')].map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])`))
	assert.Equal(t, "403", wd.text(`#entry-status`))
	assert.Equal(t, "Switch no-permission on again for zhangsan on biz:2", wd.text(`#entry-again`))
	wd.click(`#entry-again`)
	wd.waitFor("the activation", `return [...document.querySelectorAll('#active tbody tr')].map(tr => [...tr.cells].slice(0, 4).map(c => c.textContent))`,
		[]any{[]any{"1", "no-permission", "biz:2", "zhangsan"}})
	status, body := browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", time.Hour), browserZhangsan)
	assert.Equal(t, http.StatusForbidden, status, "%s", body)
	status, body = browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", time.Hour), browserAdmin)
	assert.Equal(t, http.StatusOK, status, "only zhangsan: %s", body)

	// A newer global rate-limited hides it: the list says so and who wins.
	wd.click(`#switches button[data-scenario="rate-limited"]`)
	wd.waitFor("the hidden mark", `return [...document.querySelectorAll('#active tbody tr')].map(tr => [tr.cells[0].textContent, tr.cells[1].textContent, tr.cells[7].textContent])`,
		[]any{[]any{"2", "rate-limited:stage", ""}, []any{"1", "no-permission", "hidden by admin:2 (it wins)"}})
	status, _ = browserGet(t, srv, bkjob.UserAPIPath, browserWindow("biz:2", time.Hour), browserZhangsan)
	assert.Equal(t, http.StatusTooManyRequests, status)
	wd.waitFor("the 429 counted, the hidden one's count unchanged", `return [...document.querySelectorAll('#active tbody tr')].map(tr => tr.cells[6].textContent)`, []any{"1", "1"})
	assert.Equal(t, true, wd.eval(`return document.querySelector('#switches button[data-scenario="rate-limited"]').classList.contains('on')`), "rate-limited is rate-limited:stage")

	// latency:1s lights up for latency:1s only.
	wd.click(`#clear-scenarios`)
	wd.waitFor("none active", `return document.querySelectorAll('#active tbody tr').length`, float64(0))
	wd.typeInto(`#custom-spec`, "latency:2s")
	wd.click(`#custom-scenario button[type="submit"]`)
	wd.waitFor("latency:2s active", `return [...document.querySelectorAll('#active tbody tr')].map(tr => tr.cells[1].textContent)`, []any{"latency:2s"})
	assert.Equal(t, float64(0), wd.eval(`return document.querySelectorAll('#switches button.on').length`), "no switch for latency:2s")
	wd.click(`#switches button[data-scenario="latency:1s"]`)
	wd.waitFor("latency:1s lit", `return [...document.querySelectorAll('#switches button.on')].map(b => b.dataset.scenario)`, []any{"latency:1s"})
	wd.click(`#clear-scenarios`)
	wd.waitFor("none lit", `return document.querySelectorAll('#switches button.on').length`, float64(0))

	// The chart: the form's scope and window, per hour by status, as the API counts them.
	wd.clickOption(`#data-scope`, "biz:3")
	wd.setDateTime("from", browserNow.Add(-6*time.Hour))
	wd.setDateTime("to", browserNow)
	wd.click(`#data-form button[type="submit"]`)
	ids := apiIDs(t, srv, browserWindow("biz:3", 6*time.Hour)+"&length=200")
	require.Less(t, len(ids), 200, "one page holds the window")
	var hist struct {
		Total   int `json:"total"`
		Buckets []struct {
			Start    int64          `json:"start"`
			ByStatus map[string]int `json:"by_status"`
		} `json:"buckets"`
	}
	adminJSON(t, srv.URL, "/__mock/data/histogram?"+browserWindow("biz:3", 6*time.Hour), &hist)
	require.Equal(t, len(ids), hist.Total, "the histogram counts what the API lists")
	wantBars := []any{}
	for _, b := range hist.Buckets {
		for st, n := range b.ByStatus {
			wantBars = append(wantBars, strconv.FormatInt(b.Start, 10)+" "+st+" "+strconv.Itoa(n))
		}
	}
	wd.waitFor("the caption", `return document.querySelector('#chart-caption').textContent.split(' per hour')[0]`, strconv.Itoa(len(ids))+" tasks of biz:3")
	gotBars := wd.eval(`return [...document.querySelectorAll('#data-chart g rect')].map(r => r.parentElement.dataset.start + ' ' + r.dataset.status + ' ' + r.dataset.count)`)
	assert.ElementsMatch(t, wantBars, gotBars)
	assert.Equal(t, float64(len(ids)), wd.eval(`return [...document.querySelectorAll('#chart-legend .key')].reduce((s, k) => s + Number(k.dataset.count), 0)`))
	assert.Equal(t, float64(len(hist.Buckets)), wd.eval(`return document.querySelectorAll('#data-chart g').length`), "a bar per hour")
	wd.screenshot("qa")
}

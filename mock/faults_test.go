package mock_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// send makes one request over a fresh connection with a client timeout and
// returns the response (nil on a transport error), the body read and the error.
func send(t *testing.T, srv *httptest.Server, scenario string, timeout time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequest(http.MethodGet, srv.URL+bkjob.UserAPIPath+"?"+biz2, nil)
	require.NoError(t, err)
	req.Header.Set("X-Bkapi-Authorization", adminAuth)
	if scenario != "" {
		req.Header.Set(mock.ScenarioHeader, scenario)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	t.Run("faults", func(t *testing.T) { testFaults(t, srv) })

	// Faults answer nothing (status 0) or half; the journal says which.
	es := journalEntries(t, srv, "status=0")
	names := map[string]bool{}
	for _, e := range es {
		for _, s := range e.Scenarios {
			names[s.Name] = true
		}
	}
	assert.True(t, names["reset"], "%v", names)
	assert.True(t, names["hang:200ms"], "%v", names)
	for _, e := range journalEntries(t, srv, "scenario=truncated") {
		assert.NotZero(t, e.Status)
		declared, _ := strconv.Atoi(e.ResponseHeader["Content-Length"][0])
		assert.Equal(t, declared/2, e.ResponseSize, "the journal keeps what was sent")
	}
}

func testFaults(t *testing.T, srv *httptest.Server) {
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		resp, _, err := send(t, srv, "reset", 5*time.Second)
		require.Error(t, err, "no answer")
		assert.Nil(t, resp)
		assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "EOF"), "%v", err)
	})
	t.Run("truncated", func(t *testing.T) {
		t.Parallel()
		resp, body, err := send(t, srv, "truncated", 5*time.Second)
		require.NotNil(t, resp, "the status and headers arrive: %v", err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body stops short")
		full, _ := strconv.Atoi(resp.Header.Get("Content-Length"))
		assert.Equal(t, full/2, len(body))
		assert.True(t, strings.HasPrefix(string(body), `{"data":{"job_instance_list":[`), "%s", body)
	})
	t.Run("truncated error", func(t *testing.T) {
		t.Parallel()
		resp, body, err := send(t, srv, "truncated, no-permission", 5*time.Second)
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.True(t, strings.HasPrefix(string(body), `{"error":{"code":"NO_PERMISSION"`), "%s", body)
	})
	t.Run("malformed-json", func(t *testing.T) {
		t.Parallel()
		resp, body, err := send(t, srv, "malformed-json, gateway-timeout", 5*time.Second)
		require.NoError(t, err, "the body arrives whole")
		assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		assert.Equal(t, "1650401", resp.Header.Get("X-Bkapi-Error-Code"), "headers as usual")
		assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
		assert.True(t, strings.HasSuffix(string(body), "..."))
		var v any
		assert.Error(t, json.Unmarshal(body, &v), "not JSON: %s", body)
	})
	t.Run("hang ends after its bound", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		resp, _, err := send(t, srv, "hang:200ms", 10*time.Second)
		require.Error(t, err, "no answer")
		assert.Nil(t, resp)
		assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
		var ne interface{ Timeout() bool }
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server ended it, not the client: %v", err)
	})
	t.Run("hang outlasts a client timeout", func(t *testing.T) {
		t.Parallel()
		_, _, err := send(t, srv, "hang:2s", 100*time.Millisecond)
		var ne interface{ Timeout() bool }
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
	})
	t.Run("latency then a fault", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		_, _, err := send(t, srv, "latency:100ms, reset", 5*time.Second)
		require.Error(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	})

}

// TestLatencyRange: a drawn latency stays in its range (the draw itself is
// checked in TestLatencyOf).
func TestLatencyRange(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, q := range []string{"&length=1", "&length=2"} {
		get(t, srv, biz2+q, adminAuth, mock.ScenarioHeader, "latency:20ms-80ms")
		e := journalEntries(t, srv, "limit=1")[0]
		assert.GreaterOrEqual(t, e.DurationMS, 20.0)
		assert.Equal(t, []scenarioUse{{"latency:20ms-80ms", "header"}}, e.Scenarios)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a stdout the test can read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeAdmin runs serve with the journal size, the admin token and
// --watch, and checks each through HTTP.
func TestServeAdmin(t *testing.T) {
	t.Parallel()
	original, err := os.ReadFile("../../fixtures/default.yaml")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "fixtures.yaml")
	require.NoError(t, os.WriteFile(path, original, 0o644))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	env := map[string]string{"BKJOB_MOCK_ADMIN_TOKEN": "t0ken"}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--now", "2026-11-29T10:00:00+08:00",
			"--fixtures", path, "--watch", "--journal-size", "3", "--log-level", "off"}, func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())
	assert.Contains(t, stdout.String(), "admin page "+base+"/__mock/")

	call := func(method, path, body string, header ...string) (int, string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Bkapi-Authorization", `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"zhangsan"}`)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	biz3 := "/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=3&create_time_start=0&create_time_end=1764381600000"
	for range 4 {
		code, body := call("GET", biz3, "")
		require.Equal(t, 403, code, body)
	}
	_, body := call("GET", "/__mock/requests", "")
	var journal struct {
		Held int `json:"held"`
		Size int `json:"size"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &journal))
	assert.Equal(t, 3, journal.Held)
	assert.Equal(t, 3, journal.Size)

	code, _ := call("POST", "/__mock/scenarios", `{"scenario":"empty"}`)
	assert.Equal(t, 401, code, "the token is required, loopback or not")
	code, body = call("POST", "/__mock/scenarios", `{"scenario":"empty","scope":"biz:2"}`, "Authorization", "Bearer t0ken")
	assert.Equal(t, 201, code, body)

	// --watch: zhangsan gets biz 3.
	edited := strings.Replace(string(original), "{name: zhangsan, scopes: [biz:2]}", "{name: zhangsan, scopes: [biz:2, biz:3]}", 1)
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o644))
	require.Eventually(t, func() bool {
		code, _ := call("GET", biz3, "")
		return code == 200
	}, 10*time.Second, 20*time.Millisecond)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// A mock listening beyond loopback (a container) says that admin writes need
// the token; a local one says nothing unless a token is set.
func TestAdminWriteNote(t *testing.T) {
	t.Parallel()
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	any4 := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	any6 := &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}
	assert.Empty(t, adminWriteNote(loop, false))
	assert.Contains(t, adminWriteNote(any4, false), "BKJOB_MOCK_ADMIN_TOKEN")
	assert.Contains(t, adminWriteNote(any6, false), "only from loopback")
	assert.Contains(t, adminWriteNote(any4, true), "need the admin token")
	assert.Contains(t, adminWriteNote(loop, true), "need the admin token")
}

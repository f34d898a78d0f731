package mock_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/mock"
)

// logLines decodes the JSON lines of a log.
func logLines(t *testing.T, log string) []map[string]any {
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(log), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// TestRequestLog: one line per API request, with its status, job_request_id
// and who sent it (authenticated, or as claimed when the gateway refused
// it), and the problem reported; never the secret.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	srv := newServer(t, func(c *mock.Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	ok := get(t, srv, biz2, adminAuth)
	require.Equal(t, 200, ok.status)
	bad := get(t, srv, biz2+"&status=99", adminAuth)
	require.Equal(t, 400, bad.status)
	refused := get(t, srv, biz2, `{"bk_app_code":"demo","bk_app_secret":"","bk_username":"nobody","bk_token":"s3cr3t"}`)
	require.NotEqual(t, 200, refused.status, "%s", refused.body) // the gateway refuses it

	lines := logLines(t, buf.String())
	require.Len(t, lines, 3)
	assert.Equal(t, map[string]any{"status": 200.0, "app": "demo", "user": "admin"},
		map[string]any{"status": lines[0]["status"], "app": lines[0]["app"], "user": lines[0]["user"]})
	assert.Equal(t, ok.json(t)["job_request_id"], lines[0]["job_request_id"])
	assert.Equal(t, 400.0, lines[1]["status"])
	assert.Contains(t, lines[1]["problem"], "status")
	assert.Equal(t, float64(refused.status), lines[2]["status"])
	assert.Equal(t, "demo", lines[2]["app"], "refused: the app it claims")
	assert.Equal(t, "nobody", lines[2]["user"])
	assert.NotContains(t, buf.String(), "s3cr3t")
}

package contract_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bkjob "github.com/bkjob-mock/bkjob-mock"
	"github.com/bkjob-mock/bkjob-mock/contract"
)

// runSuite runs every check and returns the result; the report is logged
// when the test fails.
func runSuite(t *testing.T, cfg contract.Config) *contract.Result {
	t.Helper()
	var out bytes.Buffer
	res, err := contract.Run(context.Background(), cfg, &contract.TextReporter{W: &out})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("\n" + out.String())
		}
	})
	return res
}

func statusOf(res *contract.Result) map[string]contract.CheckResult {
	m := map[string]contract.CheckResult{}
	for _, c := range res.Checks {
		m[c.Name] = c
	}
	return m
}

func fakeConfig(baseURL string) contract.Config {
	return contract.Config{
		BaseURL:        baseURL,
		Auth:           `{"bk_app_code":"demo","bk_app_secret":"secret-1","bk_username":"zhangsan"}`,
		Scope:          bkjob.Scope{Type: "biz", ID: "2"},
		ForbiddenScope: bkjob.Scope{Type: "biz", ID: "3"},
		MissingScope:   bkjob.Scope{Type: "biz", ID: "999"},
		System:         true,
		Hosts:          []string{"10.0.2.11"},
	}
}

// The fake is an independent, correct implementation: every check passes.
func TestFakePasses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newFake(time.Now(), 300))
	t.Cleanup(srv.Close)
	res := runSuite(t, fakeConfig(srv.URL))
	for _, c := range res.Checks {
		assert.Equal(t, contract.Pass, c.Status, "%s: %s", c.Name, c.Reason)
	}
	assert.Len(t, res.Checks, len(contract.Checks()))
	assert.LessOrEqual(t, res.Requests, contract.DefaultMaxRequests)
}

func TestMutationsFake(t *testing.T) {
	t.Parallel()
	runMutations(t, newFake(time.Now(), 300), fakeConfig)
}

func TestHonestFake(t *testing.T) {
	t.Parallel()
	runHonest(t, newFake(time.Now(), 300), fakeConfig)
}

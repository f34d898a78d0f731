package mock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatencyOf(t *testing.T) {
	t.Parallel()
	sc, err := parseScenario("latency:100ms-2s")
	require.Nil(t, err)
	seen := map[time.Duration]bool{}
	for i := range 200 {
		id := requestIDFor(i)
		d := latencyOf(&sc, 7, id)
		assert.GreaterOrEqual(t, d, 100*time.Millisecond)
		assert.LessOrEqual(t, d, 2*time.Second)
		assert.Equal(t, d, latencyOf(&sc, 7, id), "the same request waits the same")
		assert.Zero(t, d%time.Millisecond)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 150, "spread over the range")
	assert.NotEqual(t, latencyOf(&sc, 7, "x"), latencyOf(&sc, 8, "x"), "the seed matters")

	fixed, err := parseScenario("latency:300ms")
	require.Nil(t, err)
	assert.Equal(t, 300*time.Millisecond, latencyOf(&fixed, 1, "x"))
	ms, err := parseScenario("latency:250")
	require.Nil(t, err)
	assert.Equal(t, 250*time.Millisecond, latencyOf(&ms, 1, "x"), "a bare number is milliseconds")
}

func requestIDFor(i int) string {
	return string(rune('a'+i%26)) + string(rune('a'+i/26))
}

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"bk_app_code":"demo","bk_app_secret":"s3","bk_username":"a"}`: `{"bk_app_code":"demo","bk_app_secret":"***","bk_username":"a"}`,
		`{"bk_app_secret" : "a\"b", "bk_token":"t"}`:                    `{"bk_app_secret" : "***", "bk_token":"***"}`,
		`{"access_token":12345}`:                                        `{"access_token":***}`,
		`/api?a=1&bk_app_secret=xyz&bk_signature=s%20t`:                 `/api?a=1&bk_app_secret=***&bk_signature=***`,
		`lang=zh; bk_token=abc; x=1`:                                    `lang=zh; bk_token=***; x=1`,
		`{"my_bk_token_hint":"keep","bk_username":"bk_token"}`:          `{"my_bk_token_hint":"keep","bk_username":"bk_token"}`,
		`{"bk_app_code":"demo","bk_app_secr\u0065t":"hidden"}`:          `{"bk_app_code":"demo","bk_app_secret":"***"}`,
		`/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=2`: `/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=2`,
		`{"bk_app_secret":"unterminated`:                                `{"bk_app_secret":"***"`,
	} {
		assert.Equal(t, want, maskSecrets(in), in)
	}
}

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

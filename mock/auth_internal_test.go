package mock

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// TestAuthCache: the remembered answer is authenticate's, for the user and
// the system API alike, and the cache stays within its bounds.
func TestAuthCache(t *testing.T) {
	t.Parallel()
	fx, err := fixtures.Default()
	require.NoError(t, err)
	var c authCache
	for _, header := range []string{
		`{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"admin"}`,
		`{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"zhangsan"}`,
		`{"bk_app_code":"demo","bk_app_secret":"s"}`,
		`{"bk_app_code":"demo"}`,
		`["bk_app_code"]`,
		`not json`,
		``,
	} {
		for _, needUser := range []bool{true, false} {
			wantID, wantErr := authenticate(fx, header, needUser)
			for range 2 { // computed, then remembered
				id, err := c.authenticate(fx, header, needUser)
				assert.Equal(t, wantID, id, "%s %v", header, needUser)
				assert.Equal(t, wantErr, err, "%s %v", header, needUser)
			}
		}
	}
	assert.Len(t, c.m, 14)

	long := `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"` + strings.Repeat("x", maxAuthCacheKey) + `"}`
	id, _ := c.authenticate(fx, long, true)
	assert.Equal(t, strings.Repeat("x", maxAuthCacheKey), id.user)
	assert.Len(t, c.m, 14, "a long header is not kept")

	for i := range maxAuthCache + 10 {
		c.authenticate(fx, `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"u`+strconv.Itoa(i)+`"}`, true)
	}
	assert.Len(t, c.m, maxAuthCache, "bounded")
	id, _ = c.authenticate(fx, `{"bk_app_code":"demo","bk_app_secret":"s","bk_username":"late"}`, true)
	assert.Equal(t, "late", id.user, "past the bound, still authenticated")
}

package spec

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaskAuth(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"bk_app_code":"demo","bk_app_secret":"s3","bk_username":"a"}`: `{"bk_app_code":"demo","bk_app_secret":"***","bk_username":"a"}`,
		`{"bk_app_secret" : "a\"b", "bk_token":"t"}`:                    `{"bk_app_secret" : "***", "bk_token":"***"}`,
		`{"access_token":12345}`:                                        `{"access_token":***}`,
		`{"my_bk_token_hint":"keep","bk_username":"bk_token"}`:          `{"my_bk_token_hint":"keep","bk_username":"bk_token"}`,
		`{"bk_app_code":"demo","bk_app_secr\u0065t":"hidden"}`:          `{"bk_app_code":"demo","bk_app_secret":"***"}`,
		`{"bk_app_secret":"unterminated`:                                `{"bk_app_secret":"***"`,
		`{"bk_app_code":"d","bk_app_secr\u0065t":"hidden"`:              Masked, // escaped and not JSON: whole
		`{"bk_token":"a,S"}`:                                            `{"bk_token":"***"}`,
	} {
		assert.Equal(t, want, MaskAuth(in), in)
	}
}

func TestMaskURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`/api?a=1&bk_app_secret=xyz&bk_signature=s%20t`:                 `/api?a=1&bk_app_secret=***&bk_signature=***`,
		`/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=2`: `/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=2`,
		`/api?bk%5Ftoken=S&x=1`:                                         `/api?bk%5Ftoken=***&x=1`,
		`/api?bk_token=a,S;T&x=1`:                                       `/api?bk_token=***&x=1`,
		`/api?BK_TOKEN=S`:                                               `/api?BK_TOKEN=***`,
		`/api?name=token&x=secret`:                                      `/api?name=token&x=secret`,
		`/api/bk_token=S`:                                               `/api/bk_token=S`,
	} {
		assert.Equal(t, want, MaskURL(in), in)
	}
}

func TestMaskHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{
		"X-Bkapi-Authorization": {`{"bk_app_code":"demo","bk_app_secret":"S1"}`},
		"X-Bkapi-Jwt":           {"JWT"},
		"Cookie":                {"lang=zh; bk_ticket=T; sessionid=S"},
		"Authorization":         {"Bearer B"},
		"X-Mock-Admin-Token":    {"A"},
		"Referer":               {"http://app/?bk_token=R&x=1"},
		"Accept":                {"application/json"},
	}
	got := MaskHeader(h)
	assert.Equal(t, http.Header{
		"X-Bkapi-Authorization": {`{"bk_app_code":"demo","bk_app_secret":"***"}`},
		"X-Bkapi-Jwt":           {Masked},
		"Cookie":                {"lang=***; bk_ticket=***; sessionid=***"},
		"Authorization":         {Masked},
		"X-Mock-Admin-Token":    {Masked},
		"Referer":               {"http://app/?bk_token=***&x=1"},
		"Accept":                {"application/json"},
	}, got)
	assert.Equal(t, "Bearer B", h.Get("Authorization"), "the request's own headers stay")
}

func TestMaskEchoed(t *testing.T) {
	t.Parallel()
	auth := `{"bk_app_code":"demo","bk_app_secret":"s3cret","bk_token":"s3cret-long","bk_signature":"ab","bk_username":"admin"}`
	for _, tt := range []struct{ in, auth, want string }{
		{"got s3cret-long and s3cret, ab and admin", auth, "got *** and ***, ab and admin"},
		{"nothing secret", auth, "nothing secret"},
		{"s3cret", `not json s3cret`, "s3cret"},
		{"s3cret", `{"bk_app_secr\u0065t":"s3cret"}`, "***"},
	} {
		assert.Equal(t, tt.want, MaskEchoed(tt.in, tt.auth), tt.in)
	}
}

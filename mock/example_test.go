package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
	"github.com/bkjob-mock/bkjob-mock/mock"
)

// Run the mock inside a Go test with httptest, on the default fixtures and a
// pinned clock, and call it like the real gateway.
func ExampleNew() {
	fx, err := fixtures.Default()
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	h, err := mock.New(mock.Config{Fixtures: fx, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v4/get_job_instance_list?bk_scope_type=biz&bk_scope_id=999&create_time_start=0&create_time_end=1", nil)
	req.Header.Set("X-Bkapi-Authorization", `{"bk_app_code":"demo","bk_app_secret":"secret","bk_username":"admin"}`)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode)
	fmt.Print(string(body))
	// Output:
	// 404
	// {"error":{"code":"NOT_FOUND","message":"业务/业务集不存在或已被归档","details":[{"code":"1243049","message":"业务/业务集不存在或已被归档"}]},"job_request_id":"adb846d52a37a9317bc1bed8a56049db"}
}

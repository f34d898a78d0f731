package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// mockError is an answer of the mock itself, not of the imitated stack: a bad
// X-Mock-Scenario, a refused or malformed admin request. Its envelope,
// {"mock_error": {"code", "message", "valid"}}, can never be mistaken for a
// contract answer (no "error", no "code" at the top), and the X-Mock-Error
// header carries the code.
type mockError struct {
	status  int
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Valid   []string `json:"valid,omitempty"` // the accepted values, when that helps
}

func (e *mockError) Error() string { return e.Code + ": " + e.Message }

func writeMockError(w http.ResponseWriter, e *mockError) {
	b, _ := json.Marshal(struct {
		MockError *mockError `json:"mock_error"`
	}{e})
	w.Header().Set("X-Mock-Error", e.Code)
	writeJSON(w, e.status, append(b, '\n'))
}

func mockBadRequest(format string, args ...any) *mockError {
	return &mockError{status: http.StatusBadRequest, Code: "BAD_REQUEST", Message: fmt.Sprintf(format, args...)}
}

func mockNotFound(format string, args ...any) *mockError {
	return &mockError{status: http.StatusNotFound, Code: "NOT_FOUND", Message: fmt.Sprintf(format, args...)}
}

package loadtest

import (
	"net/http"
	"strconv"
)

// Bare returns the reference handler of the load script: it answers every
// request with body, as JSON with its Content-Length, and does nothing else.
// It is the ceiling a server of that answer can reach on the machine.
func Bare(body []byte) http.Handler {
	length := []string{strconv.Itoa(len(body))}
	contentType := []string{"application/json"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = contentType
		h["Content-Length"] = length
		w.Write(body)
	})
}

package mock

import "encoding/json"

// claimedIdentity is who X-Bkapi-Authorization claims to be, for the journal
// of requests the gateway refused.
func claimedIdentity(header string) (app, user string) {
	var obj struct {
		App  any `json:"bk_app_code"`
		User any `json:"bk_username"`
	}
	if json.Unmarshal([]byte(header), &obj) != nil {
		return "", ""
	}
	app, _ = obj.App.(string)
	user, _ = obj.User.(string)
	return app, user
}

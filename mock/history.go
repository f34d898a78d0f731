package mock

import "github.com/bkjob-mock/bkjob-mock/mock/history"

// newHistory builds the generated history of cfg's fixtures.
func newHistory(cfg Config) (historian, error) {
	opt := history.Options{Seed: cfg.Seed, Scale: cfg.Scale}
	if err := opt.Check(cfg.Fixtures); err != nil {
		return nil, err
	}
	return history.New(cfg.Fixtures, opt), nil
}

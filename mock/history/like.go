package history

import "unicode"

// likeContains reports whether s matches the SQL pattern '%' + pat + '%' as
// MySQL's case-insensitive collation would: '%' matches any run of characters,
// '_' exactly one character (a rune, so one Chinese character). Nothing is
// escaped, as in the real server: '%' and '_' in pat are wildcards and '\' is
// an ordinary character.
func likeContains(s, pat string) bool { return newLike(pat).contains(s) }

// like is a compiled likeContains pattern: '%' + pat + '%' as runes.
type like []rune

func newLike(pat string) like {
	p := make([]rune, 0, len(pat)+2)
	p = append(p, '%')
	p = append(p, []rune(pat)...)
	return append(p, '%')
}

// contains is likeContains(s, pat) for the pattern p was made of.
func (p like) contains(s string) bool {
	var buf [64]rune // names are short: no allocation
	r := buf[:0]
	for _, c := range s {
		r = append(r, c)
	}
	// Greedy matching with backtracking to the last '%': linear for
	// patterns with one '%' run, O(len(s)·len(p)) at worst.
	i, j, star, mark := 0, 0, -1, 0
	for i < len(r) {
		switch {
		case j < len(p) && p[j] == '%':
			star, mark = j, i
			j++
		case j < len(p) && (p[j] == '_' || foldEqual(p[j], r[i])):
			i++
			j++
		case star >= 0:
			j = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for j < len(p) && p[j] == '%' {
		j++
	}
	return j == len(p)
}

// foldEqual reports whether a and b are equal under simple Unicode case folding.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

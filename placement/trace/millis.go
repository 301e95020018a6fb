package trace

import (
	"errors"
	"math"
	"strconv"
	"time"
)

var errMillis = errors.New("not a non-negative decimal number of milliseconds with at most 6 fractional digits")

// parseMillis parses a decimal number of milliseconds ("12", "12.5",
// "0.000001") exactly, without going through floating point.
func parseMillis(s string) (time.Duration, error) {
	whole, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			whole, frac = s[:i], s[i+1:]
			break
		}
	}
	if whole == "" || len(frac) > 6 || (len(frac) == 0 && len(whole) < len(s)) ||
		!digits(whole) || !digits(frac) {
		return 0, errMillis
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/int64(time.Millisecond)-1 {
		return 0, errMillis
	}
	ns := w * int64(time.Millisecond)
	scale := int64(time.Millisecond)
	for i := 0; i < len(frac); i++ {
		scale /= 10
		ns += int64(frac[i]-'0') * scale
	}
	return time.Duration(ns), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendMillis appends d as a decimal number of milliseconds, exact to the
// nanosecond and without trailing zeros. d must not be negative.
func appendMillis(b []byte, d time.Duration) []byte {
	ns := int64(d)
	b = strconv.AppendInt(b, ns/int64(time.Millisecond), 10)
	frac := ns % int64(time.Millisecond)
	if frac == 0 {
		return b
	}
	var buf [6]byte
	for i := 5; i >= 0; i-- {
		buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 6
	for buf[end-1] == '0' {
		end--
	}
	b = append(b, '.')
	return append(b, buf[:end]...)
}

package codec

import (
	"strconv"
	"strings"
)

// wholeNumber returns the value of a JSON number literal that denotes an
// integer in int64's range, whatever its spelling: 3, 3.0, 3e0 and 0.3e1
// are all 3. ok is false for fractions (2.5) and values beyond int64. The
// check is exact, on the decimal digits, so no rounding can make a
// fraction look whole, and work stays linear in the literal's length
// whatever its exponent.
func wholeNumber(lit string) (v int64, ok bool) {
	if v, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return v, true
	}
	neg := strings.HasPrefix(lit, "-")
	mant, exp, ok := splitNumber(strings.TrimPrefix(lit, "-"))
	if !ok {
		return 0, false
	}
	if mant == "" {
		return 0, true
	}
	if exp < 0 { // the last -exp digits must be zeros
		cut := len(mant) + exp
		if cut < 0 || strings.Trim(mant[cut:], "0") != "" {
			return 0, false
		}
		mant, exp = mant[:cut], 0
	}
	if len(mant)+exp > 19 {
		return 0, false
	}
	digits := mant + strings.Repeat("0", exp)
	if neg {
		digits = "-" + digits
	}
	if v, err := strconv.ParseInt(digits, 10, 64); err == nil {
		return v, true
	}
	return 0, false
}

// splitNumber splits an unsigned JSON number into its significant digits
// (no leading zeros) and the power of ten they are scaled by.
func splitNumber(lit string) (mant string, exp int, ok bool) {
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		e, err := strconv.ParseInt(lit[i+1:], 10, 32)
		if err != nil {
			return "", 0, false
		}
		exp, lit = int(e), lit[:i]
	}
	intPart, frac, _ := strings.Cut(lit, ".")
	if intPart == "" || strings.Trim(intPart+frac, "0123456789") != "" {
		return "", 0, false
	}
	mant = strings.TrimLeft(intPart+frac, "0")
	return mant, exp - len(frac), true
}

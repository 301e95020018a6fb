package codec

import "math"

// IEEE 754 half precision and bfloat16 conversions, for the JSON codec and
// the CLI's random inputs (the wire carries FP16/BF16 as raw bits).

// Float32ToHalf rounds f to the nearest half-precision value (ties to even).
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // overflow
		return sign | 0x7c00
	case exp-127 >= -14: // normal
		h := uint32(exp-127+15)<<10 | mant>>13
		return sign | uint16(roundHalf(h, mant&0x1fff, 0x1000))
	case exp-127 >= -25: // subnormal
		mant |= 0x800000
		shift := uint32(-14-(exp-127)) + 13
		h := mant >> shift
		rem := mant & (1<<shift - 1)
		return sign | uint16(roundHalf(h, rem, 1<<(shift-1)))
	}
	return sign
}

// roundHalf rounds h up when the dropped bits rem exceed half, or equal half
// and h is odd. A carry into the exponent is the correct result.
func roundHalf(h, rem, half uint32) uint32 {
	if rem > half || (rem == half && h&1 == 1) {
		h++
	}
	return h
}

// HalfToFloat32 widens a half-precision value exactly.
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: value is mant * 2^-24.
	f := float32(mant) / (1 << 24)
	if sign != 0 {
		return -f
	}
	return f
}

// Float32ToBFloat16 rounds f to bfloat16 (ties to even), keeping NaN a NaN.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16(roundHalf(b>>16, b&0xffff, 0x8000))
}

// BFloat16ToFloat32 widens a bfloat16 value exactly.
func BFloat16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

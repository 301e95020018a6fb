package codec

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestDecodeJSONShapeIntegral: a dimension may be any JSON spelling of an
// integer; fractions, and values beyond int64 or the element bound, are
// refused.
func TestDecodeJSONShapeIntegral(t *testing.T) {
	body := func(shape string) string {
		return `{"inputs":[{"name":"a","shape":` + shape + `,"datatype":"INT8","data":[1,2]}]}`
	}
	for _, shape := range []string{`[2.0]`, `[2e0]`, `[0.2e1]`, `[1,2E+0]`, `[20e-1]`, `[1.000,2]`} {
		t.Run(shape, func(t *testing.T) {
			_, ts, err := DecodeJSONRequest(strings.NewReader(body(shape)))
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := NumElements(ts[0].Shape); n != 2 || string(ts[0].Data) != "\x01\x02" {
				t.Fatalf("shape %v, data %v", ts[0].Shape, ts[0].Data)
			}
		})
	}
	big := `{"inputs":[{"name":"a","shape":[1e9],"datatype":"INT8","data":[1]}]}`
	if _, _, err := DecodeJSONRequest(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "1 elements in data, shape needs 1000000000") {
		t.Fatalf("shape [1e9]: %v, want it read as 1000000000", err)
	}
	for shape, msg := range map[string]string{
		`[2.5]`:   "shape element 2.5 is not an integer",
		`[-1]`:    "negative dimension",
		`[-1e0]`:  "negative dimension",
		`[1e19]`:  "shape element 1e19 is not an integer",
		`[1e-9]`:  "shape element 1e-9 is not an integer",
		`["2"]`:   `shape element "2" is not an integer`,
		`[[2]]`:   "shape element [2] is not an integer",
		`[1e100]`: "not an integer",
		`{"a":1}`: "where the shape array belongs",
	} {
		t.Run(shape, func(t *testing.T) {
			_, _, err := DecodeJSONRequest(strings.NewReader(body(shape)))
			if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), msg) {
				t.Fatalf("err = %v, want ErrInvalidInput containing %q", err, msg)
			}
		})
	}
}

func TestWholeNumber(t *testing.T) {
	tests := []struct {
		lit string
		v   int64
		ok  bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"0.0", 0, true}, {"0e-99999", 0, true}, {"7", 7, true},
		{"7.000", 7, true}, {"0.7e1", 7, true}, {"700e-2", 7, true}, {"1E9", 1e9, true}, {"-3.0", -3, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"9.223372036854775807e18", 1<<63 - 1, true},
		{"9223372036854775808", 0, false}, {"9.223372036854775808e18", 0, false}, {"1e19", 0, false},
		{"2.5", 0, false}, {"7.0000000000000000001", 0, false}, {"1e-1", 0, false}, {"5e-2147483648", 0, false},
		{"1e2147483648", 0, false}, {"1e999999999999", 0, false},
	}
	for _, tc := range tests {
		v, ok := wholeNumber(tc.lit)
		if v != tc.v || ok != tc.ok {
			t.Errorf("wholeNumber(%s) = %d, %v; want %d, %v", tc.lit, v, ok, tc.v, tc.ok)
		}
	}
}

// FuzzWholeNumber checks wholeNumber against exact rational arithmetic on
// JSON number literals with small exponents.
func FuzzWholeNumber(f *testing.F) {
	for _, s := range []string{"0", "-0.0", "2.0", "2.5", "1e9", "0.2e1", "9223372036854775807", "9.3e18"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if !isJSONNumber(lit) || len(lit) > 40 || strings.ContainsAny(lit, "eE") && exponentOver(lit, 60) {
			return
		}
		v, ok := wholeNumber(lit)
		r, _ := new(big.Rat).SetString(lit)
		want := r.IsInt() && r.Num().IsInt64()
		if ok != want || ok && v != r.Num().Int64() {
			t.Fatalf("wholeNumber(%s) = %d, %v; exact value %s", lit, v, ok, r.RatString())
		}
	})
}

func isJSONNumber(s string) bool {
	_, _, err := DecodeJSONRequest(strings.NewReader(`{"inputs":[{"name":"a","datatype":"FP64","shape":[1],"data":[` + s + `]}]}`))
	return err == nil && strings.Trim(s, "0123456789.eE+-") == ""
}

func exponentOver(s string, limit int) bool {
	var e int
	_, err := fmt.Sscanf(s[strings.IndexAny(s, "eE")+1:], "%d", &e)
	return err != nil || e > limit || e < -limit
}

// TestDecodeJSONDataOrder: data written before the datatype or shape is
// kept and decoded at the end, with the same result as in place.
func TestDecodeJSONDataOrder(t *testing.T) {
	for _, body := range []string{
		`{"inputs":[{"data":[[1,2],[3,4.5]],"name":"a","shape":[2,2],"datatype":"FP32"}]}`,
		`{"inputs":[{"name":"a","datatype":"FP32","data":[[1,2],[3,4.5]],"shape":[2,2]}]}`,
		`{"inputs":[{"shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4.5]],"name":"a"}]}`,
	} {
		_, ts, err := DecodeJSONRequestLimited(strings.NewReader(body), Limits{MaxBytes: int64(len(body))})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if ts[0].Name != "a" || string(ts[0].Data) != string(f32bytes(1, 2, 3, 4.5)) {
			t.Fatalf("%s: tensor %+v", body, ts[0])
		}
	}
}

// TestDecodeJSONReserve: each tensor buffer is charged at its exact size
// before it is allocated (data kept raw is charged too), and a refusal
// ends the decoding with the refusal itself.
func TestDecodeJSONReserve(t *testing.T) {
	body := `{"inputs":[{"name":"a","shape":[3],"datatype":"FP64","data":[1,2,3]},
		{"data":[1,2],"name":"b","shape":[2],"datatype":"INT16"}]}`
	var asked []int64
	reserve := func(n int64) error { asked = append(asked, n); return nil }
	if _, _, err := DecodeJSONRequestLimited(strings.NewReader(body), Limits{MaxBytes: int64(len(body)), Reserve: reserve}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(asked) != "[24 5 4]" {
		t.Fatalf("reserved %v, want [24 5 4] (a's buffer, b's raw data, b's buffer)", asked)
	}
	full := errors.New("full")
	_, _, err := DecodeJSONRequestLimited(strings.NewReader(body), Limits{Reserve: func(int64) error { return full }})
	if !errors.Is(err, full) || errors.Is(err, runtime.ErrInvalidInput) {
		t.Fatalf("err = %v, want the refusal, not an input error", err)
	}
}

// TestDecodeJSONLimitedMalformed: what a streaming decoder must refuse on
// top of the buffered cases (TestDecodeJSONRequestMalformed).
func TestDecodeJSONLimitedMalformed(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"shape beyond body", `{"inputs":[{"name":"a","shape":[100000],"datatype":"FP64","data":[1]}]}`, "more than a 71-byte body can hold"},
		{"duplicate field", `{"inputs":[{"name":"a","name":"b","shape":[1],"datatype":"FP32","data":[1]}]}`, "duplicate"},
		{"inputs not array", `{"inputs":{}}`, "where the inputs array belongs"},
		{"input not object", `{"inputs":[1]}`, "where an object belongs"},
		{"body not object", `[]`, "where an object belongs"},
		{"cut in data", `{"inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[1,2`, "data"},
		{"unknown output field", `{"inputs":[],"outputs":[{"name":"y","binary":true}]}`, "unknown field"},
		{"trailing garbage", `{"inputs":[]} x`, "after the JSON object"},
		{"nested too deep", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[[[1]],2]}]}`, "more than 1 elements"},
		{"null element", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[null]}]}`, "not a number"},
		{"object in nested data", `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[[1,{}]]}]}`, "objects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeJSONRequestLimited(strings.NewReader(tc.body), Limits{MaxBytes: int64(len(tc.body))})
			if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidInput containing %q", err, tc.msg)
			}
		})
	}
}

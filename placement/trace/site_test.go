package trace

import (
	"reflect"
	"strings"
	"testing"
)

func TestForSite(t *testing.T) {
	tr, err := ReadCSV(strings.NewReader("time_ms,model,site\n0,a,x\n1,b,y\n2,a,y\n3,c,x\n"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := tr.ForSite("y")
	if err != nil {
		t.Fatal(err)
	}
	want := &Trace{Models: []string{"a", "b", "c"}, Requests: []Request{{Time: 1e6, Model: 1}, {Time: 2e6, Model: 0}}}
	if !reflect.DeepEqual(y, want) {
		t.Fatalf("got %+v, want %+v", y, want)
	}
	if _, err := tr.ForSite("z"); err == nil {
		t.Fatal("unknown site accepted")
	}
}

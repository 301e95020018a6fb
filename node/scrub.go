package node

import (
	"regexp"
	"strings"
)

// serverPath matches a file path in an error message: an absolute path, or
// a relative one of three or more parts (a relative data directory's
// "data/store/blobs/..."), starting a word. URLs ("http://h/p") and
// two-part names ("application/json", "service/Method") do not match.
var serverPath = regexp.MustCompile(`(^|[\s"'(\[{<=,;])((?:/[^\s"'()\[\]{}<>,;:=/]+)+/?|[^\s"'()\[\]{}<>,;:=/]+(?:/[^\s"'()\[\]{}<>,;:=/]+){2,}/?)`)

// scrub removes server file paths (store, blob and prepared-form paths, the
// native library's source paths) from a message bound for a client, keeping
// each path's last element so the message still says which file. Every
// error that leaves the node passes here (grpcError, writeError); the full
// error stays in the node's own logs.
func scrub(msg string) string {
	var b strings.Builder
	last := 0
	for _, m := range serverPath.FindAllStringSubmatchIndex(msg, -1) {
		b.WriteString(msg[last:m[4]]) // up to the path, with the character before it
		b.WriteString(lastElement(msg[m[4]:m[5]]))
		last = m[1]
	}
	if last == 0 {
		return msg
	}
	b.WriteString(msg[last:])
	return b.String()
}

func lastElement(path string) string {
	path = strings.TrimRight(path, "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

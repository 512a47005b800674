package sealed

import (
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b := []byte("prefix")
	b = append(b, "{\"a\":1}\n{\"b\":2}\n"...)
	b, _ = Seal(b, len("prefix"))
	content, err := Open(b[len("prefix"):])
	if err != nil || string(content) != "{\"a\":1}\n{\"b\":2}\n" {
		t.Fatalf("Open = %q, %v", content, err)
	}
	good := string(b[len("prefix"):])
	for _, tc := range []struct{ in, want string }{
		{"", "empty file"},
		{"{\"a\":1}\n", "truncated: no checksum line"},
		{good[:len(good)-1], "truncated: the last line is incomplete"},
		{good[:5], "truncated: the last line is incomplete"},
		{"{\"a\":1}\n{\"b\":2}\n", "truncated: the last line is not the checksum line"},
		{strings.Replace(good, "1", "3", 1), "checksum mismatch"},
	} {
		if _, err := Open([]byte(tc.in)); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

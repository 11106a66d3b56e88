package ops

import "testing"

func TestUnifiedDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	b := "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n"
	want := "--- old\n+++ new\n@@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"
	if got := UnifiedDiff("old", "new", a, b); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := UnifiedDiff("old", "new", a, a); got != "" {
		t.Errorf("equal texts: got %q", got)
	}
	// Far-apart changes make two hunks.
	long := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	changed := "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n"
	want = "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y\n"
	if got := UnifiedDiff("a", "b", long, changed); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

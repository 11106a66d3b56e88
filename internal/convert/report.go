package convert

import (
	"fmt"
	"io"
)

// What a note says of a field.
const (
	Translated = "translated" // Weir says the same, perhaps spelled differently
	Dropped    = "dropped"    // Weir has no such thing; why, and what to do instead
	Decision   = "decide"     // converted with a guess a person must check
)

// Note is one line of the report: what became of one field of one input object.
type Note struct {
	Object string // "argoproj.io Rollout web"
	Field  string // the input's field path ("" for the whole object)
	What   string // Translated, Dropped or Decision
	Why    string
}

func (n Note) String() string {
	field := n.Field
	if field != "" {
		field = " " + field
	}
	return fmt.Sprintf("%-10s %s%s: %s", n.What, n.Object, field, n.Why)
}

// Report is every note, in the order the objects and fields were read.
type Report []Note

// Write prints the report, one note a line, with a count of each kind last.
func (r Report) Write(w io.Writer) {
	counts := map[string]int{}
	for _, n := range r {
		fmt.Fprintln(w, n)
		counts[n.What]++
	}
	fmt.Fprintf(w, "%d translated, %d dropped, %d to decide\n", counts[Translated], counts[Dropped], counts[Decision])
}

// notes collects one object's notes.
type notes struct {
	object string
	out    *Report
}

func (n notes) add(what, field, format string, args ...any) {
	*n.out = append(*n.out, Note{Object: n.object, Field: field, What: what, Why: fmt.Sprintf(format, args...)})
}

// leftovers reports every field of src no translation read as dropped, then how many were
// carried over.
func (n notes) leftovers(src *source, skip ...string) {
	left := src.leftovers(skip...)
	for _, path := range left {
		n.add(Dropped, path, "Weir has no such field; it is left out")
	}
	if len(left) == 0 {
		n.add(Translated, "", "all %d fields read; the lines above say which Weir spells or does differently", src.leaves())
	} else {
		n.add(Translated, "", "%d fields read, %d Weir doesn't know (above)", src.leaves(), len(left))
	}
}

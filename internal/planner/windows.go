package planner

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// windowHorizon bounds the search for a window's next edge: a year and a bit covers every
// weekly window and a freeze of any sensible length.
const windowHorizon = 400

// window is one ReleaseWindow, parsed.
type window struct {
	name        string
	days        map[time.Weekday]bool // empty: every day
	start, end  int                   // minutes after midnight; end may be 1440
	loc         *time.Location
	from, until string // YYYY-MM-DD, "" when open-ended
}

// locations caches time zones by name: time.LoadLocation reads the zone file each time,
// and windows are evaluated at every reconcile of a release a policy selects.
var locations sync.Map

func location(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err // not cached: a zone database installed later is seen
	}
	locations.Store(name, loc)
	return loc, nil
}

// WindowState is what a policy's windows say at one moment.
type WindowState struct {
	Open bool
	// Why names the window that decides: the deny window in force, or that no allow window is.
	Why string
	// Next is when Open next changes; zero when it doesn't within the horizon.
	Next time.Time
}

// Windows evaluates a policy's windows at t. An error names the field that can't be used
// (an unknown time zone): the caller treats the windows as closed.
func Windows(w *weirv1.ReleaseWindows, t time.Time) (WindowState, error) {
	if w == nil {
		return WindowState{Open: true}, nil
	}
	allow, err := parseWindows(w.Allow, "spec.windows.allow")
	if err != nil {
		return WindowState{}, err
	}
	deny, err := parseWindows(w.Deny, "spec.windows.deny")
	if err != nil {
		return WindowState{}, err
	}
	st := WindowState{}
	st.Open, st.Why = openAt(allow, deny, t)
	st.Next = nextChange(allow, deny, t, st.Open)
	return st, nil
}

func parseWindows(ws []weirv1.ReleaseWindow, field string) ([]window, error) {
	out := make([]window, 0, len(ws))
	for i, w := range ws {
		p := window{name: w.Name, days: map[time.Weekday]bool{}, start: 0, end: 24 * 60, loc: time.UTC, from: w.From, until: w.Until}
		if w.TimeZone != "" {
			loc, err := location(w.TimeZone)
			if err != nil {
				return nil, fmt.Errorf("%s[%d].timeZone: unknown time zone %q", field, i, w.TimeZone)
			}
			p.loc = loc
		}
		for _, d := range w.Days {
			p.days[weekday(d)] = true
		}
		if w.Start != "" {
			p.start = minutesOf(w.Start)
		}
		if w.End != "" {
			p.end = minutesOf(w.End)
		}
		if p.name == "" {
			p.name = describeWindow(w)
		}
		out = append(out, p)
	}
	return out, nil
}

func describeWindow(w weirv1.ReleaseWindow) string {
	days := "every day"
	if len(w.Days) > 0 {
		names := make([]string, len(w.Days))
		for i, d := range w.Days {
			names[i] = string(d)[:3]
		}
		days = strings.Join(names, ",")
	}
	start, end := w.Start, w.End
	if start == "" {
		start = "00:00"
	}
	if end == "" {
		end = "24:00"
	}
	tz := w.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	s := fmt.Sprintf("%s %s-%s %s", days, start, end, tz)
	if w.From != "" || w.Until != "" {
		s += fmt.Sprintf(" from %s until %s", orDash(w.From), orDash(w.Until))
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func weekday(d weirv1.Weekday) time.Weekday {
	for i := time.Sunday; i <= time.Saturday; i++ {
		if i.String() == string(d) {
			return i
		}
	}
	return -1
}

// minutesOf reads HH:MM (the CRD's validation guarantees the form).
func minutesOf(hhmm string) int {
	var h, m int
	_, _ = fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return h*60 + m
}

// occurrence is the window opening on the local date y-m-d: [open, close).
func (w window) occurrence(y int, m time.Month, d int) (open, close time.Time, ok bool) {
	day := time.Date(y, m, d, 0, 0, 0, 0, w.loc)
	if len(w.days) > 0 && !w.days[day.Weekday()] {
		return time.Time{}, time.Time{}, false
	}
	date := day.Format("2006-01-02")
	if w.from != "" && date < w.from || w.until != "" && date > w.until {
		return time.Time{}, time.Time{}, false
	}
	// time.Date normalises minutes past the day and follows daylight saving time: 09:00 is
	// 09:00 local on either side of a change.
	open = time.Date(y, m, d, 0, w.start, 0, 0, w.loc)
	endDay := d
	if w.end <= w.start {
		endDay++
	}
	close = time.Date(y, m, endDay, 0, w.end, 0, 0, w.loc)
	return open, close, true
}

// contains says whether t falls in an occurrence opening on t's local date or the day
// before (a window across midnight).
func (w window) contains(t time.Time) bool {
	lt := t.In(w.loc)
	for back := 0; back <= 1; back++ {
		y, m, d := lt.AddDate(0, 0, -back).Date()
		if open, close, ok := w.occurrence(y, m, d); ok && !t.Before(open) && t.Before(close) {
			return true
		}
	}
	return false
}

func openAt(allow, deny []window, t time.Time) (bool, string) {
	for _, w := range deny {
		if w.contains(t) {
			return false, fmt.Sprintf("deny window %q", w.name)
		}
	}
	if len(allow) == 0 {
		return true, "no deny window in force"
	}
	for _, w := range allow {
		if w.contains(t) {
			return true, fmt.Sprintf("allow window %q", w.name)
		}
	}
	return false, "outside every allow window"
}

// nextChange finds the first window edge after t where openAt changes: edges are only ever
// at a window's opening or closing. It looks ten days ahead first (every weekly window),
// then the whole horizon (a long freeze).
func nextChange(allow, deny []window, t time.Time, open bool) time.Time {
	all := append(append([]window{}, allow...), deny...)
	if len(all) == 0 {
		return time.Time{}
	}
	for _, days := range []int{10, windowHorizon} {
		var edges []time.Time
		for _, w := range all {
			local := t.In(w.loc)
			for day := -1; day <= days; day++ {
				y, m, d := local.AddDate(0, 0, day).Date()
				if o, c, ok := w.occurrence(y, m, d); ok {
					edges = append(edges, o, c)
				}
			}
		}
		sort.Slice(edges, func(i, j int) bool { return edges[i].Before(edges[j]) })
		// Every edge of a later day is past the cutoff (a day late, DST included), so the
		// first change before it is the first change.
		cutoff := t.Add(time.Duration(days-2) * 24 * time.Hour)
		for _, e := range edges {
			if !e.After(t) {
				continue
			}
			if e.After(cutoff) {
				break
			}
			if now, _ := openAt(allow, deny, e); now != open {
				return e.UTC()
			}
		}
	}
	return time.Time{}
}

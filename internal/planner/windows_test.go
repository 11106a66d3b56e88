package planner

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The blog platform's production windows: weekdays but Friday, 09:00-17:00 in Berlin, and a
// year-end freeze.
var (
	officeHours = weirv1.ReleaseWindow{Name: "office-hours", Days: []weirv1.Weekday{"Monday", "Tuesday", "Wednesday", "Thursday"},
		Start: "09:00", End: "17:00", TimeZone: "Europe/Berlin"}
	noFridays  = weirv1.ReleaseWindow{Name: "no-friday-releases", Days: []weirv1.Weekday{"Friday"}}
	yearEnd    = weirv1.ReleaseWindow{Name: "year-end-freeze", From: "2026-12-20", Until: "2027-01-03", TimeZone: "Europe/Berlin"}
	nightlyOps = weirv1.ReleaseWindow{Name: "maintenance", Days: []weirv1.Weekday{"Monday"}, Start: "22:00", End: "06:00"}
	newYork    = weirv1.ReleaseWindow{Name: "ny", Start: "09:00", End: "17:00", TimeZone: "America/New_York"}
)

func TestWindows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		windows *weirv1.ReleaseWindows
		now     string
		want    WindowState
	}{
		{"no windows", nil, "2026-12-04T10:00:00Z", WindowState{Open: true}},
		{"a deny window in force, until its day ends",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{noFridays}}, "2026-12-04T10:00:00Z",
			WindowState{Open: false, Why: `deny window "no-friday-releases"`, Next: at("2026-12-05T00:00:00Z")}},
		{"the minute before a deny window",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{noFridays}}, "2026-12-03T23:59:00Z",
			WindowState{Open: true, Why: "no deny window in force", Next: at("2026-12-04T00:00:00Z")}},
		{"the opening minute of an allow window is inside it (Berlin is UTC+1 in winter)",
			&weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{officeHours}}, "2026-12-07T08:00:00Z",
			WindowState{Open: true, Why: `allow window "office-hours"`, Next: at("2026-12-07T16:00:00Z")}},
		{"the closing minute is outside; Friday to Sunday closed, Monday 09:00 opens",
			&weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{officeHours}}, "2026-12-03T16:00:00Z",
			WindowState{Open: false, Why: "outside every allow window", Next: at("2026-12-07T08:00:00Z")}},
		{"daylight saving time starts: Monday 09:00 Berlin is 07:00Z",
			&weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{officeHours}}, "2026-03-28T12:00:00Z",
			WindowState{Open: false, Why: "outside every allow window", Next: at("2026-03-30T07:00:00Z")}},
		{"daylight saving time ends in New York: Sunday 09:00 is 14:00Z, Saturday's 13:00Z",
			&weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{newYork}}, "2026-10-31T22:00:00Z",
			WindowState{Open: false, Why: "outside every allow window", Next: at("2026-11-01T14:00:00Z")}},
		{"a window across midnight holds on the next morning",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{nightlyOps}}, "2026-12-08T05:00:00Z",
			WindowState{Open: false, Why: `deny window "maintenance"`, Next: at("2026-12-08T06:00:00Z")}},
		{"a window across midnight belongs to the day it opens on",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{nightlyOps}}, "2026-12-08T22:30:00Z",
			WindowState{Open: true, Why: "no deny window in force", Next: at("2026-12-14T22:00:00Z")}},
		{"a freeze of two weeks wins over the allow window; the first office hours after it open",
			&weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{officeHours}, Deny: []weirv1.ReleaseWindow{yearEnd}}, "2026-12-22T10:00:00Z",
			WindowState{Open: false, Why: `deny window "year-end-freeze"`, Next: at("2027-01-04T08:00:00Z")}},
		{"a freeze's last day is inclusive, in its time zone",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{yearEnd}}, "2027-01-03T22:59:00Z",
			WindowState{Open: false, Why: `deny window "year-end-freeze"`, Next: at("2027-01-03T23:00:00Z")}},
		{"an unnamed window is named by its days and times",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{{Days: []weirv1.Weekday{"Friday"}, Start: "12:00"}}}, "2026-12-04T13:00:00Z",
			WindowState{Open: false, Why: `deny window "Fri 12:00-24:00 UTC"`, Next: at("2026-12-05T00:00:00Z")}},
		{"no edge within the horizon",
			&weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{{From: "2026-01-01"}}}, "2026-12-04T13:00:00Z",
			WindowState{Open: false, Why: `deny window "every day 00:00-24:00 UTC from 2026-01-01 until -"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Windows(tc.windows, at(tc.now))
			NewWithT(t).Expect(err).NotTo(HaveOccurred())
			NewWithT(t).Expect(got).To(Equal(tc.want))
		})
	}
}

func TestWindowsUnknownTimeZoneNamesTheField(t *testing.T) {
	_, err := Windows(&weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{officeHours, {TimeZone: "Mars/Olympus"}}}, at("2026-12-04T10:00:00Z"))
	NewWithT(t).Expect(err).To(MatchError(`spec.windows.allow[1].timeZone: unknown time zone "Mars/Olympus"`))
}

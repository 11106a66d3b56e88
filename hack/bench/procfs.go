package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procStat is what /proc says about one process.
type procStat struct {
	CPU time.Duration // utime + stime
	RSS int64         // VmRSS, bytes
	HWM int64         // VmHWM (peak RSS since start or since the last resetPeak), bytes
}

func readProc(pid int) (procStat, error) {
	var s procStat
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name is in parentheses and may hold spaces: fields start after the last ')'.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// After the name: state(0) ppid(1) ... utime(11) stime(12).
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	s.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			s.RSS = kB(v)
		case "VmHWM":
			s.HWM = kB(v)
		}
	}
	return s, nil
}

func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n * 1024
}

// resetPeak resets VmHWM to the current RSS (Linux clear_refs "5"), so a peak can be
// measured over a window rather than since the process started.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// childByName finds a direct child of this process by its command name, optionally with a
// command-line argument it must carry (several envs could run kube-apiservers side by side:
// this picks ours).
func childByName(comm, arg string) int {
	if len(comm) > 15 { // the kernel keeps the first 15 bytes of the name
		comm = comm[:15]
	}
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open || s[open+1:closing] != comm {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(self) {
			continue
		}
		if arg != "" {
			cmdline, _ := os.ReadFile(dir + "/cmdline")
			if !strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), arg) {
				continue
			}
		}
		return pid
	}
	return 0
}

// loadAvg is the 1-, 5- and 15-minute load average.
type loadAvg [3]float64

func readLoad() loadAvg {
	var l loadAvg
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	f := strings.Fields(string(data))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

func (l loadAvg) String() string { return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2]) }

// loadRange tracks the 1-minute load average seen during a scenario.
type loadRange struct {
	min, max float64
	n        int
}

func (r *loadRange) sample() loadAvg {
	l := readLoad()
	if r.n == 0 || l[0] < r.min {
		r.min = l[0]
	}
	if r.n == 0 || l[0] > r.max {
		r.max = l[0]
	}
	r.n++
	return l
}

func (r loadRange) String() string {
	if r.n == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f–%.1f", r.min, r.max)
}

// machine describes the host for the report.
func machine() string {
	var b strings.Builder
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	var mem int64
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "MemTotal" {
				mem = kB(v)
			}
		}
	}
	var uts syscall.Utsname
	kernel := ""
	if syscall.Uname(&uts) == nil {
		kernel = charsToString(uts.Release[:])
	}
	fmt.Fprintf(&b, "nproc %d (%s), memory %.1f GiB, Linux %s, %s, load average %s",
		runtime.NumCPU(), model, float64(mem)/(1<<30), kernel, runtime.Version(), readLoad())
	return b.String()
}

func charsToString[T int8 | uint8](cs []T) string {
	b := make([]byte, 0, len(cs))
	for _, c := range cs {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

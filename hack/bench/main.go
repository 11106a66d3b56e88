// Command bench measures Weir on a local control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok, from bin/) with weir-controller running
// as its own process at its default settings, and prints a table:
//
//  1. step overhead of one canary Rollout routed through an HTTPRoute,
//  2. abort reaction to a failing Prometheus analysis,
//  3. throughput of 500 Rollouts released at once (API requests, CPU, memory),
//  4. idle cost of 2,000 Healthy Rollouts, and a controller restart with them.
//
// No gateway runs: the bench plays one by writing each HTTPRoute's parent status Accepted for
// its new generation as soon as its watch sees the change. Timings come from the bench's
// watches (informers), so both ends of a difference carry the same kind of watch delay.
// Run it with `make bench`; see docs/benchmarks.md. Nothing here asserts a timing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/weir-dev/weir/internal/testenv"
)

type config struct {
	scenarios     map[int]bool
	reps          int
	noiseReps     int
	abortReps     int
	rollouts      int
	perNamespace  int
	idleRollouts  int
	idle          time.Duration
	controller    string
	controllerArg string
	controllerEnv string
	pprofDir      string
	out           string
	verbose       bool
	scaleTimeout  time.Duration
	profileWindow time.Duration
	peer          string
	peerCRDs      string
	peerArgs      []string
	noRouting     bool
}

var (
	started = time.Now()
	// source is the state of the sources the controller was built from, read at start.
	source string
	// startLoad is the load average when the bench started.
	startLoad = readLoad()
)

// command is how the bench was invoked, as one would type it.
func command() string {
	return strings.Join(append([]string{"go run ./hack/bench"}, os.Args[1:]...), " ")
}

func logf(format string, args ...any) {
	fmt.Printf("[%6.1fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}

func main() {
	var cfg config
	scenarios := flag.String("scenarios", "1,2,3,4,5", "scenarios to run: 1 step overhead, 2 abort reaction, 3 throughput, 4 idle cost, 5 cluster floor (scenario 3's release as plain Deployments, no Weir), 6 peer (scenario 3's release by Argo Rollouts, needs -peer)")
	flag.IntVar(&cfg.reps, "reps", 10, "releases measured in scenario 1")
	flag.IntVar(&cfg.noiseReps, "noise-reps", 5, "extra scenario-1 releases during which the bench edits an annotation of the HTTPRoute every 100 ms (a third party's edits: the controller reconciles during pauses)")
	flag.IntVar(&cfg.abortReps, "abort-reps", 10, "aborts measured in scenario 2")
	flag.IntVar(&cfg.rollouts, "rollouts", 500, "Rollouts released at once in scenario 3")
	flag.IntVar(&cfg.perNamespace, "per-namespace", 50, "Rollouts per namespace in scenarios 3 and 4")
	flag.IntVar(&cfg.idleRollouts, "idle-rollouts", 2000, "Healthy Rollouts in scenario 4 (scenario 3's are reused)")
	flag.DurationVar(&cfg.idle, "idle", time.Minute, "how long scenario 4 watches the idle controller")
	flag.StringVar(&cfg.controller, "controller", "", "weir-controller binary to measure (default: build ./cmd/weir-controller)")
	flag.StringVar(&cfg.controllerArg, "controller-args", "", "extra weir-controller flags, space-separated (default: none, the controller's defaults)")
	flag.StringVar(&cfg.controllerEnv, "controller-env", "", "extra weir-controller environment, space-separated KEY=value (e.g. GOMEMLIMIT=70MiB)")
	flag.StringVar(&cfg.pprofDir, "pprof", "", "directory for CPU/heap profiles of kube-apiserver and of the controller (started with --pprof-bind-address)")
	flag.DurationVar(&cfg.profileWindow, "profile-seconds", 30*time.Second, "length of the CPU profile taken at the start of scenario 3's release")
	flag.StringVar(&cfg.out, "out", "", "also write the results (Markdown) to this file")
	flag.BoolVar(&cfg.verbose, "v", false, "print every repetition's timeline")
	flag.DurationVar(&cfg.scaleTimeout, "scale-timeout", 30*time.Minute, "give up on scenario 3's release after this long")
	flag.StringVar(&cfg.peer, "peer", "", "scenario 6: an Argo Rollouts rollouts-controller binary to give scenario 3's release to, on a control plane of its own (docs/benchmarks.md: how to build one)")
	flag.StringVar(&cfg.peerCRDs, "peer-crds", "", "scenario 6: the peer's manifests/crds directory (default: crds beside the -peer binary)")
	flag.BoolVar(&cfg.noRouting, "no-routing", false, "scenarios 3 and 4: Rollouts without traffic routing (setWeight steps scale ReplicaSets only, no HTTPRoute), the job scenario 6 gives the peer")
	peerArgs := flag.String("peer-args", "", "scenario 6: extra rollouts-controller flags, space-separated (default: none, its defaults, e.g. --qps=40)")
	flag.Parse()
	cfg.peerArgs = strings.Fields(*peerArgs)
	if cfg.peer != "" && cfg.peerCRDs == "" {
		cfg.peerCRDs = filepath.Join(filepath.Dir(cfg.peer), "crds")
	}
	cfg.scenarios = map[int]bool{}
	for _, s := range strings.Split(*scenarios, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 6 {
			fmt.Fprintf(os.Stderr, "bench: -scenarios: %q is not 1, 2, 3, 4, 5 or 6\n", s)
			os.Exit(2)
		}
		cfg.scenarios[n] = true
	}
	if cfg.scenarios[6] && cfg.peer == "" {
		fmt.Fprintln(os.Stderr, "bench: scenario 6 needs -peer: a rollouts-controller binary of Argo Rollouts (docs/benchmarks.md, \"Scenario 6\", says how to build one)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	verbose = cfg.verbose
	log.SetLogger(logr.Discard()) // controller-runtime's cache in the bench: quiet
	rows, err := run(ctx, cfg)
	fmt.Println()
	fmt.Println("machine:", machine())
	fmt.Println("command:", command())
	fmt.Println("load average at start:", startLoad, "— at the end:", readLoad())
	fmt.Println("source: ", source)
	fmt.Println()
	writeTable(os.Stdout, rows)
	if cfg.out != "" {
		if werr := writeMarkdown(cfg.out, rows); werr != nil {
			fmt.Fprintln(os.Stderr, "bench:", werr)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) ([]result, error) {
	logf("machine: %s", machine())
	source = sourceState()
	logf("source: %s", source)
	bin := cfg.controller
	if bin == "" {
		dir, err := os.MkdirTemp("", "weir-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		logf("building ./cmd/weir-controller")
		if bin, err = buildController(dir); err != nil {
			return nil, err
		}
	}
	if cfg.pprofDir != "" {
		if err := os.MkdirAll(cfg.pprofDir, 0o755); err != nil {
			return nil, err
		}
	}
	opts := clusterOptions{ctrlBin: bin, ctrlArgs: strings.Fields(cfg.controllerArg), ctrlEnv: strings.Fields(cfg.controllerEnv)}
	profiled := opts
	profiled.pprof = cfg.pprofDir != ""
	groups := []scenarioGroup{
		{[]int{1, 2}, profiled, func(cl *cluster) map[int]scenario {
			return map[int]scenario{
				1: func(ctx context.Context) ([]result, error) { return stepOverhead(ctx, cl, cfg) },
				2: func(ctx context.Context) ([]result, error) { return abortReaction(ctx, cl, cfg) },
			}
		}},
		{[]int{3, 4}, profiled, func(cl *cluster) map[int]scenario {
			s := &scale{cl: cl, cfg: cfg} // scenario 4 measures the Rollouts scenario 3 made
			return map[int]scenario{3: s.throughput, 4: s.idleCost}
		}},
		{[]int{5}, opts, func(cl *cluster) map[int]scenario {
			return map[int]scenario{5: func(ctx context.Context) ([]result, error) { return clusterFloor(ctx, cl, cfg) }}
		}},
	}
	var rows []result
	for _, g := range groups {
		r, err := g.run(ctx, cfg)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	if cfg.scenarios[6] {
		r, err := peerThroughput(ctx, cfg)
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("scenario 6: %w", err)
		}
	}
	return rows, nil
}

// sourceState names the commit measured and whether the controller's sources differ from it.
func sourceState() string {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "?"
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "not a git checkout"
	}
	dirty, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--", "cmd/weir-controller", "internal", "api").Output()
	state := "commit " + strings.TrimSpace(string(head))
	if n := len(strings.Fields(string(dirty))) / 2; n > 0 {
		state += fmt.Sprintf(" with %d uncommitted change(s) in cmd/weir-controller, internal or api", n)
	}
	return state
}

func writeMarkdown(path string, rows []result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "Command: `%s`\n\nMachine: %s (load average at start: %s)\n\nSource: %s\n\n", command(), machine(), startLoad, source)
	writeTable(f, rows)
	return nil
}

// A scenario measures one thing and returns its rows.
type scenario func(ctx context.Context) ([]result, error)

// scenarioGroup is scenarios that share one control plane, started for them (and stopped
// before the next group's) when any of them is asked for.
type scenarioGroup struct {
	numbers   []int
	opts      clusterOptions
	scenarios func(cl *cluster) map[int]scenario
}

func (g scenarioGroup) run(ctx context.Context, cfg config) ([]result, error) {
	var asked []string
	for _, n := range g.numbers {
		if cfg.scenarios[n] {
			asked = append(asked, strconv.Itoa(n))
		}
	}
	if len(asked) == 0 {
		return nil, nil
	}
	noun := "scenario"
	if len(asked) > 1 {
		noun = "scenarios"
	}
	logf("starting a control plane for %s %s", noun, strings.Join(asked, " and "))
	cl, err := startCluster(ctx, g.opts)
	if err != nil {
		return nil, err
	}
	defer cl.stop()
	logf("control plane up; logs in %s", cl.env.LogDir)
	scenarios := g.scenarios(cl)
	var rows []result
	for _, n := range g.numbers {
		if !cfg.scenarios[n] {
			continue
		}
		r, err := scenarios[n](ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("scenario %d: %w", n, err)
		}
	}
	return rows, nil
}

package stack

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Load is steady background traffic through the gateway (the demo's traffic generator, and
// what gives the analysis its data).
type Load struct {
	mu     sync.Mutex
	sample Sample
	stop   chan struct{}
	done   sync.WaitGroup
}

// StartLoad sends about rps requests per second to the app until Stop.
func (s *Stack) StartLoad(a App, rps int) *Load {
	l := &Load{stop: make(chan struct{})}
	l.sample = Sample{Versions: map[string]int{}, Failed: map[int]int{}}
	client := &http.Client{Timeout: 5 * time.Second}
	workers := 4
	interval := time.Duration(workers) * time.Second / time.Duration(rps)
	for w := 0; w < workers; w++ {
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-l.stop:
					return
				case <-tick.C:
				}
				req, _ := http.NewRequest(http.MethodGet, s.GatewayURL+"/", nil)
				req.Host = a.Host
				resp, err := client.Do(req)
				l.mu.Lock()
				l.sample.Requests++
				switch {
				case err != nil:
					l.sample.Errors++
				case resp.StatusCode == http.StatusOK:
					body, _ := io.ReadAll(resp.Body)
					l.sample.Versions[strings.TrimSpace(string(body))]++
				default:
					l.sample.Failed[resp.StatusCode]++
				}
				l.mu.Unlock()
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	return l
}

// Take returns what was seen since the last Take and starts counting afresh.
func (l *Load) Take() Sample {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sample
	l.sample = Sample{Versions: map[string]int{}, Failed: map[int]int{}}
	return out
}

// Stop ends the traffic.
func (l *Load) Stop() {
	close(l.stop)
	l.done.Wait()
}

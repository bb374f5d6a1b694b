package app_test

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
)

// BenchmarkServe_PushEvents measures the whole App: b.N signed push
// deliveries, sent by 32 concurrent senders to the real contractbot serve
// process, each to be acknowledged and turned into a check run by the fake
// GitHub answering every request after 20 ms. It reports events/s from the
// first delivery to the last completed check run, the acknowledgement
// latency (including the durable write) and the server's peak RSS.
//
//	go test -run '^$' -bench BenchmarkServe_PushEvents -benchtime 2000x ./internal/app/
func BenchmarkServe_PushEvents(b *testing.B) {
	for _, validate := range []bool{false, true} {
		b.Run(fmt.Sprintf("validate=%v", validate), func(b *testing.B) {
			opts := []githubfake.Option{githubfake.WithRateLimit(1 << 30)}
			if !validate {
				opts = append(opts, githubfake.WithoutValidation())
			}
			fake := githubfake.New(b, opts...)
			fake.AddInstallation(e2eInstallation, e2eOwner)
			bot := startBot(b, fake, "CONTRACTBOT_LOG_LEVEL=info") // the production default

			// One repository per 50 events, so that checks of different
			// commits run side by side as they would across services.
			type event struct{ repo, sha string }
			events := make([]event, b.N)
			payloads := make([][]byte, b.N)
			prev := map[string]string{}
			for i := range events {
				repo := fmt.Sprintf("svc%d", i/50)
				files := withFiles(goodService(), "README.md", fmt.Sprintf("# %s, change %d\n", repo, i))
				sha := fake.Push(e2eOwner, repo, "main", files)
				before := prev[repo]
				if before == "" {
					before = zero
				}
				prev[repo] = sha
				events[i] = event{repo, sha}
				payloads[i] = pushPayload(b, repo, "main", before, sha, "README.md")
			}
			// Warm the token and the blob cache with one event.
			warm := fake.Push(e2eOwner, "warm", "main", goodService())
			bot.deliver("push", pushPayload(b, "warm", "main", zero, warm, "Makefile"))
			waitCheckRuns(b, bot, "warm", warm, 1)
			fake.ResetCalls()
			fake.SetLatency(20 * time.Millisecond)

			acks := make([]time.Duration, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < 32; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= b.N {
							return
						}
						t0 := time.Now()
						if got := bot.deliver("push", payloads[i]); got != http.StatusAccepted {
							b.Errorf("delivery %d: status %d", i, got)
							return
						}
						acks[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			for _, e := range events {
				waitCheckRuns(b, bot, e.repo, e.sha, 1)
			}
			elapsed := time.Since(start)
			b.StopTimer()

			slices.Sort(acks)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(acks[len(acks)/2].Microseconds())/1000, "ack-p50-ms")
			b.ReportMetric(float64(acks[len(acks)*99/100].Microseconds())/1000, "ack-p99-ms")
			b.ReportMetric(float64(fake.TotalCalls())/float64(b.N), "api-requests/event")
			if cpu := cpuTime(b, bot.cmd.Process.Pid); cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "server-CPU-ms/event")
			}
			if rss := peakRSS(b, bot.cmd.Process.Pid); rss > 0 {
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			}
		})
	}
}

// peakRSS returns the peak resident set size of process pid (VmHWM), in
// bytes, or 0 when /proc does not say.
func peakRSS(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Logf("peak RSS: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// cpuTime returns the user and system CPU time process pid has used, or 0
// when /proc does not say. The clock tick is taken as Linux's usual 100 Hz.
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Logf("cpu time: %v", err)
		return 0
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

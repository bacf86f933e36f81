// loadgen: concurrent payment clients against one gateway, for `deposits bench` and
// scripts/bench_front_door.py, scripts/bench_books_lag.py.
//
// A Python load client on the same two cores as the network costs as much CPU as the work it measures;
// this one costs a fraction of it, so the figure is the network's. Each client has its own connection and
// pays in a loop until the time is up or the run's request count is reached; 429/503 answers are waited out
// as Retry-After says. Prints one JSON object: commits, rate, latency percentiles, outcomes (status and the
// problem's code), and commits per payer and per payee so the caller can check balances afterwards.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func readList(path string) []string {
	raw, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// transfers: client i pays payees[i] with POST /v1/transfers.
func transfers(currency, amount string, payees []string) (string, func(string, int) []byte, func(int) []string) {
	body := func(from string, i int) []byte {
		b, _ := json.Marshal(map[string]string{
			"from": from, "to": payees[i], "currency": currency, "amount": amount, "reference": "BENCH",
		})
		return b
	}
	return "/v1/transfers", body, func(i int) []string { return payees[i : i+1] }
}

// payouts: every client pays each of payees once per POST /v1/payouts (one transaction of len(payees) lines).
func payouts(currency, amount string, payees []string) (string, func(string, int) []byte, func(int) []string) {
	lines := make([]map[string]string, len(payees))
	for i, to := range payees {
		lines[i] = map[string]string{"to": to, "amount": amount, "reference": fmt.Sprintf("BENCH-%d", i)}
	}
	body := func(from string, _ int) []byte {
		b, _ := json.Marshal(map[string]any{"from": from, "currency": currency, "lines": lines})
		return b
	}
	return "/v1/payouts", body, func(int) []string { return payees }
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func main() {
	url := flag.String("url", "", "gateway base URL")
	key := flag.String("key", "", "API key")
	payersFile := flag.String("payers", "", "JSON file: a list of payer account ids, one per client")
	payeesFile := flag.String("payees", "", "JSON file: a list of payee account ids, one per client")
	payee := flag.String("payee", "", "one payee account id for every client (instead of -payees)")
	clients := flag.Int("clients", 32, "concurrent clients")
	seconds := flag.Int("seconds", 30, "stop sending after this long")
	count := flag.Int64("count", 0, "stop sending after this many requests in all (0: no bound)")
	currency := flag.String("currency", "USD", "currency code")
	amount := flag.String("amount", "0.01", "amount of each payment (decimal string)")
	payoutLines := flag.Int("payout-lines", 0, "send bulk payouts of this many lines, one to each payee, instead of transfers")
	pace := flag.Int("rate", 0, "requests per second, all clients together (0: each as fast as it is answered)")
	flag.Parse()
	payers := readList(*payersFile)
	payees := make([]string, *clients)
	if *payeesFile != "" {
		payees = readList(*payeesFile)
	} else {
		for i := range payees {
			payees[i] = *payee
		}
	}
	if len(payers) < *clients || len(payees) < max(*clients, *payoutLines) {
		panic(fmt.Sprintf("need %d payers and %d payees", *clients, max(*clients, *payoutLines)))
	}
	path, bodyOf, credited := transfers(*currency, *amount, payees)
	if *payoutLines > 0 {
		path, bodyOf, credited = payouts(*currency, *amount, payees[:*payoutLines])
	}
	start := time.Now()
	stop := start.Add(time.Duration(*seconds) * time.Second)
	var sent atomic.Int64
	var mu sync.Mutex
	outcomes := map[string]int{}
	perPayer := map[string]int{}
	perPayee := map[string]int{}
	var latencies []float64
	last := start
	// Paced: a ticker hands out send slots; a slot no client is free to take waits (up to one per client),
	// so a stalled second is caught up but the rate never runs ahead of what the clients can send.
	var slots chan struct{}
	if *pace > 0 {
		slots = make(chan struct{}, *clients)
		ticker := time.NewTicker(time.Second / time.Duration(*pace))
		defer ticker.Stop()
		go func() {
			for range ticker.C {
				select {
				case slots <- struct{}{}:
				default:
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func(idx int) {
			defer wg.Done()
			from := payers[idx]
			client := &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
			body := bodyOf(from, idx)
			for time.Now().Before(stop) && (*count == 0 || sent.Add(1) <= *count) {
				if slots != nil {
					<-slots
				}
				req, _ := http.NewRequest("POST", *url+path, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+*key)
				req.Header.Set("Idempotency-Key", newKey())
				req.Header.Set("Content-Type", "application/json")
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					outcomes["transport"]++
					mu.Unlock()
					continue
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				done := time.Now()
				outcome := strconv.Itoa(resp.StatusCode)
				if resp.StatusCode != 201 {
					var problem struct{ Code string }
					if json.Unmarshal(answer, &problem) == nil && problem.Code != "" {
						outcome += " " + problem.Code
					}
				}
				mu.Lock()
				outcomes[outcome]++
				if resp.StatusCode == 201 {
					latencies = append(latencies, done.Sub(began).Seconds())
					perPayer[from]++
					for _, to := range credited(idx) {
						perPayee[to]++
					}
				}
				if done.After(last) {
					last = done
				}
				mu.Unlock()
				if resp.StatusCode == 429 || resp.StatusCode == 503 {
					wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					time.Sleep(time.Duration(max(wait, 1)) * time.Second)
				}
			}
		}(i)
	}
	wg.Wait()
	sort.Float64s(latencies)
	elapsed := last.Sub(start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(len(latencies)) / elapsed
	}
	out, _ := json.Marshal(map[string]any{
		"clients":         *clients,
		"committed":       len(latencies),
		"elapsed_s":       elapsed,
		"committed_per_s": rate,
		"p50_s":           percentile(latencies, 0.50),
		"p95_s":           percentile(latencies, 0.95),
		"outcomes":        outcomes,
		"per_payer":       perPayer,
		"per_payee":       perPayee,
	})
	fmt.Println(string(out))
}

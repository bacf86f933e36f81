// loadgen: concurrent transfer clients against one gateway, for scripts/bench_front_door.py.
//
// A Python load client on the same two cores as the network costs as much CPU as the work it measures
// (and more per request as clients grow); this one costs a fraction of it, so the figure is the gateway's.
// Each client has its own connection and pays in a loop until the time is up; answers 429/503 are waited
// out as Retry-After says. Prints one JSON object: commits answered within the window, p50, outcomes.
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
	"time"
)

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func main() {
	url := flag.String("url", "", "gateway base URL")
	key := flag.String("key", "", "API key")
	payersFile := flag.String("payers", "", "JSON file: a list of payer account ids, one per client")
	payee := flag.String("payee", "", "payee account id")
	clients := flag.Int("clients", 32, "concurrent clients")
	seconds := flag.Int("seconds", 30, "duration")
	flag.Parse()
	raw, err := os.ReadFile(*payersFile)
	if err != nil {
		panic(err)
	}
	var payers []string
	if err := json.Unmarshal(raw, &payers); err != nil || len(payers) < *clients {
		panic(fmt.Sprintf("need %d payers in %s", *clients, *payersFile))
	}
	start := time.Now()
	stop := start.Add(time.Duration(*seconds) * time.Second)
	var mu sync.Mutex
	outcomes := map[string]int{}
	var latencies []float64
	inWindow := 0
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func(payer string) {
			defer wg.Done()
			client := &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
			body, _ := json.Marshal(map[string]string{
				"from": payer, "to": *payee, "currency": "USD", "amount": "0.01", "reference": "B",
			})
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("POST", *url+"/v1/transfers", bytes.NewReader(body))
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
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done := time.Now()
				mu.Lock()
				outcomes[strconv.Itoa(resp.StatusCode)]++
				if resp.StatusCode == 201 {
					latencies = append(latencies, done.Sub(began).Seconds())
					if !done.After(stop) {
						inWindow++
					}
				}
				mu.Unlock()
				if resp.StatusCode == 429 || resp.StatusCode == 503 {
					wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					time.Sleep(time.Duration(max(wait, 1)) * time.Second)
				}
			}
		}(payers[i])
	}
	wg.Wait()
	sort.Float64s(latencies)
	p50 := 0.0
	if len(latencies) > 0 {
		p50 = latencies[len(latencies)/2]
	}
	out, _ := json.Marshal(map[string]any{
		"clients":         *clients,
		"committed_per_s": float64(inWindow) / float64(*seconds),
		"p50_s":           p50,
		"drain_s":         time.Since(start).Seconds() - float64(*seconds),
		"outcomes":        outcomes,
	})
	fmt.Println(string(out))
}

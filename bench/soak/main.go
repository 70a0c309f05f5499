// Command soak runs rcemu under steady mixed traffic and watches its memory: logins, extension
// and message-store reads, SMS between hosted users, address-book contacts created and listed,
// at -rate requests a second for -d (default 5 minutes), on a SQLite file so that the data
// written is real. It samples VmRSS and open file descriptors every -every and grades the run:
// RSS at the end within 20 % of its level after the first minute (the plateau rcemu must reach
// whatever the data written). Loopback only, bounded in time; Linux for /proc.
//
//	go run ./bench/soak -bin bin/rcemu -d 5m
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/rcemu", "rcemu binary")
	rate := flag.Int("rate", 200, "requests per second (open loop)")
	dur := flag.Duration("d", 5*time.Minute, "how long the traffic runs")
	every := flag.Duration("every", 10*time.Second, "RSS sampling interval")
	spec := flag.String("spec", "", "--spec for rcemu (default: rcemu's own)")
	jsonOut := flag.String("json", "", "also write the samples as JSON to this file")
	flag.Parse()
	if err := run(*bin, *rate, *dur, *every, *spec, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
}

type sample struct {
	At       time.Duration `json:"atNs"`
	RSSKB    int           `json:"rssKB"`
	FDs      int           `json:"fds"`
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
}

func run(bin string, rate int, dur, every time.Duration, spec, jsonOut string) error {
	if dur < 2*time.Minute {
		return errors.New("-d must be at least 2m: the grade compares the end with the first minute")
	}
	dir, err := os.MkdirTemp("", "rcemu-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"serve", "--addr", addr, "--db", filepath.Join(dir, "soak.db"), "--log-level", "error"}
	if spec != "" {
		args = append(args, "--spec", spec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	base := "http://" + addr
	if err := waitHealthy(ctx, base); err != nil {
		return err
	}
	creds, err := credentials(base)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	l := &load{c: c, base: base, creds: creds}
	if err := l.login(); err != nil {
		return err
	}

	var samples []sample
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		sem := make(chan struct{}, 64)
		i := 0
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			select {
			case sem <- struct{}{}:
			default:
				l.errors.Add(1) // rcemu is 64 requests behind: count it as a failure, do not queue
				continue
			}
			i++
			n := i
			go func() {
				defer func() { <-sem }()
				l.one(n)
			}()
		}
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	deadline := time.After(dur)
	fmt.Printf("soak: %d req/s of mixed traffic for %v against %s (pid %d)\n", rate, dur, base, cmd.Process.Pid)
	fmt.Printf("%8s %10s %6s %10s %7s\n", "t", "rss", "fds", "requests", "errors")
loop:
	for {
		select {
		case <-tick.C:
			s := sample{At: time.Since(start), RSSKB: rss(cmd.Process.Pid), FDs: fds(cmd.Process.Pid), Requests: l.requests.Load(), Errors: l.errors.Load()}
			samples = append(samples, s)
			fmt.Printf("%8s %8.1fMB %6d %10d %7d\n", s.At.Round(time.Second), float64(s.RSSKB)/1024, s.FDs, s.Requests, s.Errors)
		case <-deadline:
			break loop
		}
	}
	close(stop)
	wg.Wait()
	if jsonOut != "" {
		b, _ := json.MarshalIndent(samples, "", "  ")
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	var first, last sample
	for _, s := range samples {
		if s.At <= time.Minute+every/2 {
			first = s
		}
		last = s
	}
	if first.RSSKB == 0 {
		return errors.New("no sample in the first minute")
	}
	growth := float64(last.RSSKB-first.RSSKB) / float64(first.RSSKB)
	verdict := "PASS"
	if growth > 0.2 {
		verdict = "FAIL"
	}
	errRate := float64(last.Errors) / float64(max(last.Requests, 1))
	fmt.Printf("RSS after the first minute %.1f MB, at the end %.1f MB: %+.1f %% (target ≤ +20 %%) %s\n",
		float64(first.RSSKB)/1024, float64(last.RSSKB)/1024, growth*100, verdict)
	fmt.Printf("open fds %d → %d; %d requests, %.2f %% errors\n", first.FDs, last.FDs, last.Requests, errRate*100)
	return nil
}

type load struct {
	c        *http.Client
	base     string
	creds    creds
	mu       sync.Mutex
	token    string
	requests atomic.Int64
	errors   atomic.Int64
}

type creds struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Users        []struct {
		ExtensionNumber string `json:"extensionNumber"`
		JWT             string `json:"jwt"`
	} `json:"users"`
}

func (l *load) login() error {
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {l.creds.Users[0].JWT}}
	req, _ := http.NewRequest("POST", l.base+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(l.creds.ClientID, l.creds.ClientSecret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := l.do(req, &tok); err != nil {
		return err
	}
	l.mu.Lock()
	l.token = tok.AccessToken
	l.mu.Unlock()
	return nil
}

// one sends the n-th request of the mix: 5 % logins, 30 % extension reads, 25 % message-store
// lists, 20 % SMS, 10 % contacts created, 10 % contact lists.
func (l *load) one(n int) {
	ext := l.base + "/restapi/v1.0/account/~/extension/~"
	var req *http.Request
	switch k := n % 20; {
	case k == 0:
		if err := l.login(); err != nil {
			l.errors.Add(1)
		}
		return
	case k <= 6:
		req, _ = http.NewRequest("GET", ext, nil)
	case k <= 11:
		req, _ = http.NewRequest("GET", ext+"/message-store?perPage=10", nil)
	case k <= 15:
		body := fmt.Sprintf(`{"from":{"phoneNumber":"+16505550101"},"to":[{"phoneNumber":"+16505550102"}],"text":"soak %d"}`, n)
		req, _ = http.NewRequest("POST", ext+"/sms", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	case k <= 17:
		body := fmt.Sprintf(`{"firstName":"Soak","lastName":"Contact %d","email":"soak%d@example.com","mobilePhone":"+1650555%04d"}`, n, n, n%10000)
		req, _ = http.NewRequest("POST", ext+"/address-book/contact", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	default:
		req, _ = http.NewRequest("GET", ext+"/address-book/contact?perPage=20", nil)
	}
	l.mu.Lock()
	req.Header.Set("Authorization", "Bearer "+l.token)
	l.mu.Unlock()
	req.Header.Set("User-Agent", "rcemu-soak/1.0")
	if err := l.do(req, nil); err != nil {
		l.errors.Add(1)
	}
}

func (l *load) do(req *http.Request, out any) error {
	l.requests.Add(1)
	res, err := l.c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %.200s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func credentials(base string) (creds, error) {
	var c creds
	res, err := http.Get(base + "/_rcemu/credentials")
	if err != nil {
		return c, err
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || len(c.Users) == 0 {
		return c, fmt.Errorf("credentials: %v", err)
	}
	return c, nil
}

func waitHealthy(ctx context.Context, base string) error {
	for ctx.Err() == nil {
		if res, err := http.Get(base + "/_rcemu/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("rcemu never became healthy")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func rss(pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func fds(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(ents)
}

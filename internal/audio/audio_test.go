package audio

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pcm decodes the data of a file WAV produced; it relies on the fixed 44-byte header.
func pcm(t testing.TB, wav []byte) []int16 {
	t.Helper()
	if len(wav) < headerSize || (len(wav)-headerSize)%2 != 0 {
		t.Fatalf("len %d is not a 44-byte header plus 16-bit samples", len(wav))
	}
	s := make([]int16, (len(wav)-headerSize)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(wav[headerSize+2*i:]))
	}
	return s
}

func TestHeader(t *testing.T) {
	w := WAV(1500*time.Millisecond, 7)
	le := binary.LittleEndian
	const n = 12000
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"RIFF size", le.Uint32(w[4:]), 36 + 2*n},
		{"fmt size", le.Uint32(w[16:]), 16},
		{"format", uint32(le.Uint16(w[20:])), 1},
		{"channels", uint32(le.Uint16(w[22:])), 1},
		{"sample rate", le.Uint32(w[24:]), 8000},
		{"byte rate", le.Uint32(w[28:]), 16000},
		{"block align", uint32(le.Uint16(w[32:])), 2},
		{"bits", uint32(le.Uint16(w[34:])), 16},
		{"data size", le.Uint32(w[40:]), 2 * n},
		{"file size", uint32(len(w)), 44 + 2*n},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for off, tag := range map[int]string{0: "RIFF", 8: "WAVE", 12: "fmt ", 36: "data"} {
		if got := string(w[off : off+4]); got != tag {
			t.Errorf("bytes %d..%d = %q, want %q", off, off+4, got, tag)
		}
	}
}

func TestSampleCount(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{-time.Second, 0},
		{62499 * time.Nanosecond, 0}, // just under half a sample
		{62500 * time.Nanosecond, 1},
		{125 * time.Microsecond, 1},
		{time.Second, 8000},
		{time.Minute + 250*time.Millisecond, 482000},
		{MaxDuration, 57_600_000},
		{3 * time.Hour, 57_600_000},
		{math.MaxInt64, 57_600_000},
		{math.MinInt64, 0},
	} {
		if got := samples(c.d); got != c.want {
			t.Errorf("samples(%v) = %d, want %d", c.d, got, c.want)
		}
	}
	// Past the header arithmetic: the file really holds that many samples.
	for _, d := range []time.Duration{0, 125 * time.Microsecond, 3 * time.Second, 10*time.Second + 1} {
		if got, want := len(pcm(t, WAV(d, 1))), samples(d); got != want {
			t.Errorf("WAV(%v) holds %d samples, want %d", d, got, want)
		}
	}
}

func TestEmpty(t *testing.T) {
	w := WAV(0, 99)
	if len(w) != 44 {
		t.Fatalf("len = %d, want 44", len(w))
	}
	if d, err := Duration(w); err != nil || d != 0 {
		t.Fatalf("Duration = %v, %v; want 0, nil", d, err)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := WAV(10*time.Second, 42), WAV(10*time.Second, 42)
	if !bytes.Equal(a, b) {
		t.Fatal("same duration and seed gave different bytes")
	}
	// Pinned so that a recording keeps its bytes across emulator versions and architectures
	// (clients may cache or checksum it). Change the hash only when changing the sound on purpose.
	const want = "0eb2725e7f3376638f2b6f96d4be4539c34892f0d2da0b61a8c5171b558f2b14"
	if sum := sha256.Sum256(a); hex.EncodeToString(sum[:]) != want {
		t.Errorf("sha256 = %x, want %s", sum, want)
	}
}

func TestSeedsDiffer(t *testing.T) {
	seen := map[[32]byte]uint64{}
	for seed := range uint64(50) {
		sum := sha256.Sum256(WAV(5*time.Second, seed))
		if prev, ok := seen[sum]; ok {
			t.Fatalf("seeds %d and %d gave the same audio", prev, seed)
		}
		seen[sum] = seed
	}
	// Adjacent seeds (consecutive recording ids) must not merely differ in a few samples.
	a, b := pcm(t, WAV(5*time.Second, 1000)), pcm(t, WAV(5*time.Second, 1001))
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if same > len(a)/2 {
		t.Errorf("seeds 1000 and 1001 agree on %d of %d samples", same, len(a))
	}
}

// TestSound checks that the audio is what a call sounds like in outline: audible, unclipped,
// tonal rather than noisy, broken by pauses, but never silent for long.
func TestSound(t *testing.T) {
	for _, seed := range []uint64{0, 1, 2, 0xdeadbeef, math.MaxUint64} {
		s := pcm(t, WAV(time.Minute, seed))
		var (
			sum        float64
			peak       int
			voiced     int // samples outside pauses
			crossings  int
			run        int // current run of zero samples
			longest    int
			pauses     int // runs of at least 30 ms
			maxStep    int
			edgeSample int // largest sample next to a pause
		)
		const pause = 8 // samples of zero that can only be a gap, not a sine passing through 0
		for i, v := range s {
			x := int(v)
			sum += float64(x * x)
			peak = max(peak, abs(x))
			if i > 0 {
				maxStep = max(maxStep, abs(x-int(s[i-1])))
				if (x < 0) != (s[i-1] < 0) {
					crossings++
				}
			}
			if x == 0 {
				run++
				continue
			}
			if run >= pause {
				edgeSample = max(edgeSample, abs(x))
				if i-run-1 >= 0 {
					edgeSample = max(edgeSample, abs(int(s[i-run-1])))
				}
			}
			if run >= 240 {
				pauses++
			}
			longest = max(longest, run)
			run = 0
			voiced++
		}
		longest = max(longest, run)
		rms := math.Sqrt(sum / float64(len(s)))
		// Zero crossings per second of sound: a tone of f Hz crosses 2f times, white noise at
		// 8 kHz about 4000 times.
		zcr := float64(crossings) / (float64(voiced) / SampleRate)

		if rms < 2000 {
			t.Errorf("seed %d: RMS %.0f, want at least 2000 (about -24 dBFS)", seed, rms)
		}
		if peak > 16000 {
			t.Errorf("seed %d: peak %d, want at most 16000 (headroom, no clipping)", seed, peak)
		}
		if zcr < 600 || zcr > 2000 {
			t.Errorf("seed %d: %.0f zero crossings per second, want 600..2000 (300..1000 Hz tones)", seed, zcr)
		}
		if pauses < 60 {
			t.Errorf("seed %d: %d pauses in a minute, want at least 60", seed, pauses)
		}
		if longest > SampleRate*105/100 {
			t.Errorf("seed %d: %d silent samples in a row, want at most about a second", seed, longest)
		}
		if edgeSample > 500 {
			t.Errorf("seed %d: sample of %d next to a pause: tones should fade, not click", seed, edgeSample)
		}
		// A 1000 Hz sine at peak 15000 moves at most 15000·2π·1000/8000 ≈ 11800 per sample;
		// a bigger step is a discontinuity.
		if maxStep > 12000 {
			t.Errorf("seed %d: step of %d between samples: a click", seed, maxStep)
		}
	}
}

// TestEnding checks that a recording cut mid-tone still fades out, whatever the duration.
func TestEnding(t *testing.T) {
	for i := range 200 {
		d := time.Duration(i)*37*time.Millisecond + time.Duration(i)*125*time.Microsecond
		s := pcm(t, WAV(d, uint64(i)))
		if len(s) == 0 {
			continue
		}
		if s[0] != 0 || s[len(s)-1] != 0 {
			t.Fatalf("WAV(%v): first sample %d, last %d; want both 0", d, s[0], s[len(s)-1])
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestDecoders runs whichever of soxi and ffprobe is installed; CI need not have either.
func TestDecoders(t *testing.T) {
	soxi, _ := exec.LookPath("soxi")
	ffprobe, _ := exec.LookPath("ffprobe")
	if soxi == "" && ffprobe == "" {
		t.Skip("neither soxi nor ffprobe installed")
	}
	path := filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(path, WAV(3*time.Second, 5), 0o600); err != nil {
		t.Fatal(err)
	}
	if soxi != "" {
		for flag, want := range map[string]string{"-s": "24000", "-r": "8000", "-c": "1", "-b": "16"} {
			out, err := exec.Command(soxi, flag, path).Output()
			if err != nil {
				t.Fatalf("soxi %s: %v", flag, err)
			}
			if got := strings.TrimSpace(string(out)); got != want {
				t.Errorf("soxi %s = %q, want %q", flag, got, want)
			}
		}
	}
	if ffprobe != "" {
		out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "a:0",
			"-show_entries", "stream=codec_name,sample_rate,channels",
			"-of", "default=noprint_wrappers=1", path).Output()
		if err != nil {
			t.Fatalf("ffprobe: %v", err)
		}
		got := strings.Fields(string(out))
		for _, want := range []string{"codec_name=pcm_s16le", "sample_rate=8000", "channels=1"} {
			found := false
			for _, g := range got {
				found = found || g == want
			}
			if !found {
				t.Errorf("ffprobe reported %q, want %s among them", got, want)
			}
		}
	}
}

func BenchmarkWAV60s(b *testing.B) {
	b.SetBytes(int64(headerSize + 2*samples(time.Minute)))
	var seed uint64
	for b.Loop() {
		WAV(time.Minute, seed)
		seed++
	}
}

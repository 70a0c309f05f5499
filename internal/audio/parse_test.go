package audio

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// chunk is one RIFF chunk for hand-built files; size overrides the real length when non-nil,
// to lie the way hostile files do.
type chunk struct {
	id   string
	body []byte
	size *uint32
}

// riff assembles chunks into a WAVE file with honest sizes and padding.
func riff(chunks ...chunk) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		size := uint32(len(c.body))
		if c.size != nil {
			size = *c.size
		}
		b = append(b, c.id...)
		b = binary.LittleEndian.AppendUint32(b, size)
		b = append(b, c.body...)
		if len(c.body)%2 == 1 {
			b = append(b, 0)
		}
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// fmtBody is a plain fmt chunk with consistent block align and byte rate.
func fmtBody(format, channels uint16, rate uint32, bits uint16) []byte {
	block := channels * ((bits + 7) / 8)
	b := binary.LittleEndian.AppendUint16(nil, format)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(block))
	b = binary.LittleEndian.AppendUint16(b, block)
	return binary.LittleEndian.AppendUint16(b, bits)
}

// extensible wraps a format code in WAVE_FORMAT_EXTENSIBLE, as multichannel and 24-bit writers do.
func extensible(sub, channels uint16, rate uint32, bits uint16) []byte {
	b := fmtBody(formatExtensible, channels, rate, bits)
	b = binary.LittleEndian.AppendUint16(b, 22)   // cbSize
	b = binary.LittleEndian.AppendUint16(b, bits) // valid bits
	b = binary.LittleEndian.AppendUint32(b, 3)    // front left and right
	b = binary.LittleEndian.AppendUint16(b, sub)
	return append(b, "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"...) // rest of the KSDATAFORMAT GUID
}

func u32(v uint32) *uint32 { return &v }

func TestDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{
		0, time.Nanosecond, 62500 * time.Nanosecond, 125 * time.Microsecond, time.Second,
		1234567 * time.Microsecond, time.Minute, 10*time.Minute + 3*time.Millisecond, -time.Hour,
	} {
		got, err := Duration(WAV(d, 3))
		if err != nil {
			t.Fatalf("Duration(WAV(%v)): %v", d, err)
		}
		// Exact: one sample is 125 µs, a whole number of nanoseconds.
		if want := time.Duration(samples(d)) * 125 * time.Microsecond; got != want {
			t.Errorf("Duration(WAV(%v)) = %v, want %v", d, got, want)
		}
	}
}

func TestDurationFormats(t *testing.T) {
	list := chunk{id: "LIST", body: []byte("INFOISFT\x05\x00\x00\x00rcemu\x00")} // odd-sized inner, padded
	for _, c := range []struct {
		name string
		wav  []byte
		want time.Duration
	}{
		{"CD stereo", riff(chunk{id: "fmt ", body: fmtBody(formatPCM, 2, 44100, 16)}, chunk{id: "data", body: make([]byte, 4*44100)}), time.Second},
		{"mu-law telephony", riff(chunk{id: "fmt ", body: fmtBody(formatMuLaw, 1, 8000, 8)}, chunk{id: "data", body: make([]byte, 4000)}), 500 * time.Millisecond},
		{"A-law", riff(chunk{id: "fmt ", body: fmtBody(formatALaw, 1, 8000, 8)}, chunk{id: "data", body: make([]byte, 8)}), time.Millisecond},
		{"float", riff(chunk{id: "fmt ", body: fmtBody(formatFloat, 1, 48000, 32)}, chunk{id: "data", body: make([]byte, 4*48)}), time.Millisecond},
		{"24-bit odd data", riff(chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 1000, 24)}, chunk{id: "data", body: make([]byte, 3*3)}), 3 * time.Millisecond},
		{"extensible", riff(chunk{id: "fmt ", body: extensible(formatPCM, 2, 48000, 24)}, chunk{id: "data", body: make([]byte, 6*480)}), 10 * time.Millisecond},
		{"fmt with cbSize 0", riff(chunk{id: "fmt ", body: append(fmtBody(formatPCM, 1, 8000, 16), 0, 0)}, chunk{id: "data", body: make([]byte, 16)}), time.Millisecond},
		{"unknown chunks skipped", riff(list, chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 8000, 16)}, chunk{id: "junk", body: []byte{1, 2, 3}}, chunk{id: "data", body: make([]byte, 16)}, list), time.Millisecond},
		{"data before fmt", riff(chunk{id: "data", body: make([]byte, 16)}, chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 8000, 16)}), time.Millisecond},
		{"rounds to nearest ns", riff(chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 3, 8)}, chunk{id: "data", body: make([]byte, 2)}), 666666667},
		{"trailing bytes after RIFF", append(WAV(time.Second, 1), "garbage"...), time.Second},
		{"final pad omitted", func() []byte {
			b := riff(chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 1000, 8)}, chunk{id: "data", body: make([]byte, 5)})
			b = b[:len(b)-1]
			binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
			return b
		}(), 5 * time.Millisecond},
	} {
		got, err := Duration(c.wav)
		if err != nil || got != c.want {
			t.Errorf("%s: Duration = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestDurationHostile(t *testing.T) {
	pcm16 := chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 8000, 16)}
	data := chunk{id: "data", body: make([]byte, 16)}
	withField := func(off int, v uint16) []byte { // a pcm16 fmt chunk with one field overwritten
		b := fmtBody(formatPCM, 1, 8000, 16)
		binary.LittleEndian.PutUint16(b[off:], v)
		return b
	}
	valid := WAV(time.Second, 1)
	riffSize := func(v uint32) []byte {
		b := append([]byte(nil), valid...)
		binary.LittleEndian.PutUint32(b[4:], v)
		return b
	}
	for _, c := range []struct {
		name string
		wav  []byte
		want error
	}{
		{"nil", nil, ErrInvalid},
		{"RIFF only", []byte("RIFF"), ErrInvalid},
		{"not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), valid[12:]...), ErrInvalid},
		{"RIFX (big-endian)", append([]byte("RIFX"), valid[4:]...), ErrInvalid},
		{"RIFF size past end", riffSize(uint32(len(valid)-8) + 1), ErrInvalid},
		{"RIFF size huge", riffSize(0xFFFFFFFF), ErrInvalid},
		{"RIFF size below WAVE", riffSize(3), ErrInvalid},
		{"RIFF size cuts data chunk", riffSize(uint32(len(valid) - 8 - 2)), ErrInvalid},
		{"no chunks", riff(), ErrInvalid},
		{"no fmt", riff(data), ErrInvalid},
		{"no data", riff(pcm16), ErrInvalid},
		{"two fmt", riff(pcm16, pcm16, data), ErrInvalid},
		{"two data", riff(pcm16, data, data), ErrInvalid},
		{"chunk size huge", riff(pcm16, chunk{id: "data", body: make([]byte, 16), size: u32(0xFFFFFFFF)}), ErrInvalid},
		{"chunk size one too many", riff(pcm16, chunk{id: "data", body: make([]byte, 16), size: u32(17)}), ErrInvalid},
		{"unknown chunk huge", riff(chunk{id: "LIST", body: []byte("INFO"), size: u32(0xFFFFFFF0)}, pcm16, data), ErrInvalid},
		{"half a chunk header", func() []byte {
			b := append(riff(pcm16, data), "dat"...)
			binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
			return b
		}(), ErrInvalid},
		{"fmt too short", riff(chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 8000, 16)[:14]}, data), ErrInvalid},
		{"zero channels", riff(chunk{id: "fmt ", body: withField(2, 0)}, data), ErrInvalid},
		{"zero rate", riff(chunk{id: "fmt ", body: fmtBody(formatPCM, 1, 0, 16)}, data), ErrInvalid},
		{"zero bits", riff(chunk{id: "fmt ", body: withField(14, 0)}, data), ErrInvalid},
		{"zero block align", riff(chunk{id: "fmt ", body: withField(12, 0)}, data), ErrInvalid},
		{"wrong block align", riff(chunk{id: "fmt ", body: withField(12, 4)}, data), ErrInvalid},
		{"wrong byte rate", riff(chunk{id: "fmt ", body: withField(8, 1)}, data), ErrInvalid},
		{"partial frame", riff(pcm16, chunk{id: "data", body: make([]byte, 15)}), ErrInvalid},
		{"short extensible", riff(chunk{id: "fmt ", body: extensible(formatPCM, 2, 48000, 16)[:30]}, data), ErrInvalid},
		{"ADPCM", riff(chunk{id: "fmt ", body: fmtBody(0x0011, 1, 8000, 4)}, data), ErrUnsupported},
		{"MP3 in WAV", riff(chunk{id: "fmt ", body: fmtBody(0x0055, 1, 8000, 0)}, data), ErrUnsupported},
		{"extensible ADPCM", riff(chunk{id: "fmt ", body: extensible(0x0011, 2, 48000, 16)}, data), ErrUnsupported},
	} {
		if d, err := Duration(c.wav); !errors.Is(err, c.want) {
			t.Errorf("%s: Duration = %v, %v; want %v", c.name, d, err, c.want)
		}
	}
}

// TestDurationTruncated cuts a valid file at every length: an upload that stopped early must
// be refused, not measured by its header.
func TestDurationTruncated(t *testing.T) {
	w := WAV(10*time.Millisecond, 1)
	for n := range len(w) {
		if d, err := Duration(w[:n]); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Duration(first %d of %d bytes) = %v, %v; want ErrInvalid", n, len(w), d, err)
		}
	}
}

func FuzzDuration(f *testing.F) {
	f.Add(WAV(0, 0), uint32(0), uint64(0))
	f.Add(WAV(20*time.Millisecond, 1), uint32(20_000), uint64(1))
	f.Add(WAV(125*time.Microsecond, 2), uint32(1), uint64(2))
	f.Add(riff(chunk{id: "LIST", body: []byte("INFOx")}, chunk{id: "fmt ", body: extensible(formatPCM, 2, 48000, 24)}, chunk{id: "data", body: make([]byte, 12)}), uint32(999_999), uint64(3))
	f.Add(riff(chunk{id: "fmt ", body: fmtBody(formatMuLaw, 1, 8000, 8)}, chunk{id: "data", body: make([]byte, 3)}), uint32(62), uint64(4))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"), uint32(5), uint64(5))
	f.Add([]byte{}, uint32(0), uint64(6))
	f.Fuzz(func(t *testing.T, data []byte, us uint32, seed uint64) {
		d, err := Duration(data)
		switch {
		case err == nil && d < 0:
			t.Fatalf("negative duration %v", d)
		case err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported):
			t.Fatalf("error %v wraps neither ErrInvalid nor ErrUnsupported", err)
		}
		// Up to 5 s keeps each run cheap; length handling beyond that is TestSampleCount's.
		in := time.Duration(us%5_000_000) * time.Microsecond
		w := WAV(in, seed)
		got, err := Duration(w)
		if want := time.Duration(samples(in)) * 125 * time.Microsecond; err != nil || got != want {
			t.Fatalf("Duration(WAV(%v, %d)) = %v, %v; want %v", in, seed, got, err, want)
		}
	})
}

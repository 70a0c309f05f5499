// Package audio makes the sound the emulator serves as call recordings and voicemail
// attachments: real, playable WAV files generated in process, so that clients which decode,
// transcribe or measure what they download get audio rather than a placeholder, and so that
// the emulator needs no fixture files. Output depends only on the duration and a seed, so a
// recording fetched twice, or by two emulator instances, is byte-identical.
//
// It also reads WAV headers (Duration), for audio that users upload.
package audio

import (
	"encoding/binary"
	"math"
	"time"
)

// WAVContentType is the type served with WAV output. audio/wav is what browsers and Go's mime
// table use; audio/x-wav is the older unregistered spelling that some tools and mime.types files
// still produce, so code accepting uploads should take both. audio/vnd.wave (RFC 2361) is the
// IANA-registered name, but few clients recognise it.
const WAVContentType = "audio/wav"

// SampleRate is the rate of WAV output: narrowband telephony, which is what a PSTN call
// recording actually carries, and it keeps files small (16 kB per second).
const SampleRate = 8000

// MaxDuration caps WAV so that a hostile or mistaken duration cannot make the emulator build an
// unbounded buffer; two hours is about 115 MB.
const MaxDuration = 2 * time.Hour

const headerSize = 44

// WAV returns a RIFF/WAVE file of d (clamped to [0, MaxDuration]) rounded to the nearest
// sample: 16-bit little-endian mono PCM at SampleRate. The content is a conversation-like
// pattern: two parties taking turns, each turn a run of short tones with soft edges and brief
// pauses. The same d and seed always give the same bytes, on every platform: synthesis is
// integer arithmetic over a fixed table.
func WAV(d time.Duration, seed uint64) []byte {
	n := samples(d)
	out := make([]byte, headerSize+2*n)
	putHeader(out, n)
	synthesize(out[headerSize:], seed)
	return out
}

func samples(d time.Duration) int {
	d = max(0, min(d, MaxDuration))
	return int((int64(d)*SampleRate + int64(time.Second)/2) / int64(time.Second))
}

func putHeader(b []byte, n int) {
	le := binary.LittleEndian
	data := uint32(2 * n)
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], 36+data)
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], formatPCM)
	le.PutUint16(b[22:], 1) // mono
	le.PutUint32(b[24:], SampleRate)
	le.PutUint32(b[28:], 2*SampleRate) // byte rate
	le.PutUint16(b[32:], 2)            // block align
	le.PutUint16(b[34:], 16)           // bits per sample
	copy(b[36:], "data")
	le.PutUint32(b[40:], data)
}

// The oscillator is a 32-bit phase accumulator indexing a sine table: one add, one shift and
// one load per sample, exactly reproducible, and with no drift over long tones (a recursive
// float oscillator's amplitude wanders, and Go may fuse its multiply-adds differently per
// architecture). 2^12 entries keep the table's own distortion ~70 dB down, far below what
// 8 kHz telephony can carry.
const (
	tableBits = 12
	phaseLoss = 32 - tableBits
	rampLen   = 128 // 16 ms: long enough not to click, short enough to sound like onsets
	unity     = 1 << 15
)

var (
	sine [1 << tableBits]int32 // Q15
	ramp [rampLen]int32        // Q15 raised-cosine rise from exactly 0
)

func init() {
	// math.Sin and math.Cos may differ by an ulp across platforms (Go may fuse their
	// multiply-adds); that cannot change the rounded Q15 values, none of which lies within 1e-4
	// of a rounding boundary.
	for i := range sine {
		sine[i] = int32(math.Round(32767 * math.Sin(2*math.Pi*float64(i)/float64(len(sine)))))
	}
	for i := range ramp {
		ramp[i] = int32(math.Round(unity * (1 - math.Cos(math.Pi*float64(i)/rampLen)) / 2))
	}
}

// rng is SplitMix64: tiny, fast, and well mixed even for adjacent seeds such as recording ids.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// between returns a value in [lo, hi]; the modulo bias is irrelevant at these ranges.
func (r *rng) between(lo, hi int) int { return lo + int(r.next()%uint64(hi-lo+1)) }

func ms(v int) int { return v * SampleRate / 1000 }

// party is one side of the call. Distinct pitch ranges make the turn-taking audible.
type party struct{ lo, hi int }

var parties = [2]party{{300, 620}, {480, 1000}}

// synthesize writes the tones into data, which must be zeroed: pauses are left untouched.
// Timing is drawn so that no silence exceeds a second, since a long gap in a recording reads as
// a fault rather than a pause.
func synthesize(data []byte, seed uint64) {
	n := len(data) / 2
	r := rng(seed)
	pos := ms(r.between(150, 400)) // pickup before anyone speaks
	who := int(r.next() & 1)
	for pos < n {
		p := parties[who]
		for bursts := r.between(3, 9); bursts > 0 && pos < n; bursts-- {
			length := min(ms(r.between(80, 300)), n-pos)
			f0 := r.between(p.lo, p.hi)
			// A glide of up to ±12% gives each burst a speech-like inflection.
			f1 := max(300, min(1000, f0+f0*r.between(-12, 12)/100))
			amp := int32(r.between(8000, 15000)) // about -12 to -7 dBFS peak
			tone(data[2*pos:2*(pos+length)], f0, f1, amp)
			pos += length + ms(r.between(30, 150))
		}
		pos += ms(r.between(350, 800))
		who ^= 1
	}
}

// tone fills out with a sine gliding linearly from f0 to f1 Hz at peak amp (Q15), faded in and
// out over rampLen samples, or symmetrically over halves when the tone is too short (as when
// a recording ends mid-burst), so that it starts and ends at zero without a click.
func tone(out []byte, f0, f1 int, amp int32) {
	n := len(out) / 2
	inc := phaseInc(f0)
	var dinc uint32
	if n > 1 {
		dinc = uint32((int64(phaseInc(f1)) - int64(inc)) / int64(n-1))
	}
	edge := min(rampLen, n/2)
	sustain := amp
	if edge < rampLen {
		sustain = amp * ramp[edge] >> 15 // the peak the shortened ramps reach, so no step
	}
	var phase uint32
	emit := func(i int, gain int32) {
		s := sine[phase>>phaseLoss] * gain >> 15
		binary.LittleEndian.PutUint16(out[2*i:], uint16(int16(s)))
		phase += inc
		inc += dinc
	}
	for i := range edge {
		emit(i, amp*ramp[i]>>15)
	}
	for i := edge; i < n-edge; i++ {
		emit(i, sustain)
	}
	for i := n - edge; i < n; i++ {
		emit(i, amp*ramp[n-1-i]>>15)
	}
}

func phaseInc(hz int) uint32 { return uint32(uint64(hz) << 32 / SampleRate) }

package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrInvalid reports bytes that are not a well-formed WAV file.
	ErrInvalid = errors.New("audio: invalid WAV")
	// ErrUnsupported reports a well-formed WAV file whose encoding has no fixed bytes per
	// frame (ADPCM, MP3 in WAV, ...), so its duration cannot be read from the header.
	ErrUnsupported = errors.New("audio: unsupported WAV encoding")
)

const (
	formatPCM        = 0x0001
	formatFloat      = 0x0003
	formatALaw       = 0x0006
	formatMuLaw      = 0x0007
	formatExtensible = 0xFFFE
)

// Duration returns the playing time of a WAV file, to the nearest nanosecond. It reads only
// the RIFF structure, never the samples, and checks every size against the bytes actually
// present, so it is safe on untrusted uploads; a file whose sizes disagree with its length is
// rejected rather than guessed at, because a client that sent one would otherwise be told a
// duration no player would agree with.
func Duration(wav []byte) (time.Duration, error) {
	le := binary.LittleEndian
	if len(wav) < 12 || string(wav[0:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		return 0, fmt.Errorf("%w: no RIFF/WAVE header", ErrInvalid)
	}
	// Sizes stay uint64 so that no 32-bit field can overflow an offset, even where int is 32 bits.
	riff := uint64(le.Uint32(wav[4:8]))
	if riff < 4 || riff+8 > uint64(len(wav)) {
		return 0, fmt.Errorf("%w: RIFF size %d for %d bytes", ErrInvalid, riff, len(wav))
	}
	end := riff + 8 // bytes past the RIFF chunk are not part of the file
	var (
		fmtChunk []byte
		data     uint64
		haveData bool
	)
	for off := uint64(12); off < end; {
		if end-off < 8 {
			return 0, fmt.Errorf("%w: truncated chunk header at %d", ErrInvalid, off)
		}
		id := string(wav[off : off+4])
		size := uint64(le.Uint32(wav[off+4 : off+8]))
		body := off + 8
		if size > end-body {
			return 0, fmt.Errorf("%w: %q chunk of %d bytes at %d overruns the file", ErrInvalid, id, size, off)
		}
		switch id {
		case "fmt ":
			if fmtChunk != nil {
				return 0, fmt.Errorf("%w: second fmt chunk", ErrInvalid)
			}
			fmtChunk = wav[body : body+size]
		case "data":
			if haveData {
				return 0, fmt.Errorf("%w: second data chunk", ErrInvalid)
			}
			data, haveData = size, true
		}
		// Chunks are word-aligned; a writer may omit the pad after the last one.
		pad := size % 2
		off = min(body+size+pad, end)
	}
	if fmtChunk == nil {
		return 0, fmt.Errorf("%w: no fmt chunk", ErrInvalid)
	}
	if !haveData {
		return 0, fmt.Errorf("%w: no data chunk", ErrInvalid)
	}
	rate, block, err := parseFmt(fmtChunk)
	if err != nil {
		return 0, err
	}
	if data%block != 0 {
		return 0, fmt.Errorf("%w: %d data bytes is not a whole number of %d-byte frames", ErrInvalid, data, block)
	}
	// frames < 2^32 and rate < 2^32, so this cannot overflow int64.
	frames := data / block
	return time.Duration((frames*uint64(time.Second) + rate/2) / rate), nil
}

// parseFmt returns the sample rate and bytes per frame of a fmt chunk.
func parseFmt(c []byte) (rate, block uint64, err error) {
	le := binary.LittleEndian
	if len(c) < 16 {
		return 0, 0, fmt.Errorf("%w: fmt chunk of %d bytes", ErrInvalid, len(c))
	}
	format := le.Uint16(c[0:])
	channels := uint64(le.Uint16(c[2:]))
	rate = uint64(le.Uint32(c[4:]))
	byteRate := uint64(le.Uint32(c[8:]))
	block = uint64(le.Uint16(c[12:]))
	bits := uint64(le.Uint16(c[14:]))
	if format == formatExtensible {
		// WAVEFORMATEXTENSIBLE: cbSize, valid bits, channel mask, then the real format as the
		// first two bytes of a GUID.
		if len(c) < 40 || le.Uint16(c[16:]) < 22 {
			return 0, 0, fmt.Errorf("%w: short WAVE_FORMAT_EXTENSIBLE", ErrInvalid)
		}
		format = le.Uint16(c[24:])
	}
	switch format {
	case formatPCM, formatFloat, formatALaw, formatMuLaw:
	default:
		return 0, 0, fmt.Errorf("%w: format 0x%04x", ErrUnsupported, format)
	}
	switch {
	case channels == 0 || rate == 0 || bits == 0:
		return 0, 0, fmt.Errorf("%w: %d channels, %d Hz, %d bits", ErrInvalid, channels, rate, bits)
	case block != channels*((bits+7)/8):
		return 0, 0, fmt.Errorf("%w: block align %d for %d channels of %d bits", ErrInvalid, block, channels, bits)
	case byteRate != rate*block:
		return 0, 0, fmt.Errorf("%w: byte rate %d for %d Hz × %d bytes", ErrInvalid, byteRate, rate, block)
	}
	return rate, block, nil
}

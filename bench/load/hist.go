package main

import (
	"math/bits"
	"time"
)

// hist is a fixed-size log-linear latency histogram in nanoseconds: values below 256 ns have
// their own bucket, above that each power of two is split into 128 buckets, so a bucket is at
// most 1/128 (0.8%) of its value wide. It never allocates after creation, and one worker owns
// one, so recording is a couple of instructions with no locking.
type hist struct {
	counts [histBuckets]uint64
	total  uint64
	sum    uint64 // ns
	max    uint64 // ns, exact
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits                   // buckets per power of two
	histBuckets = (64-histSubBits)*histSub + histSub // covers every uint64
	histLinear  = 2 * histSub                        // values below this are exact
)

func histIndex(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // v>>shift is in [128, 255]
	return shift*histSub + int(v>>uint(shift))
}

// histBounds returns the lowest value of bucket i and its width.
func histBounds(i int) (lo, width uint64) {
	if i < histLinear {
		return uint64(i), 1
	}
	shift := uint(i/histSub - 1)
	m := uint64(i%histSub + histSub)
	return m << shift, 1 << shift
}

func (h *hist) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[histIndex(v)]++
	h.total++
	h.sum += v
	if v > h.max {
		h.max = v
	}
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0 < q ≤ 1): the midpoint of the bucket holding the
// ceil(q·n)-th smallest value, capped at the exact maximum.
func (h *hist) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.999999)
	rank = min(max(rank, 1), h.total)
	if rank == h.total {
		return time.Duration(h.max)
	}
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			lo, w := histBounds(i)
			return time.Duration(min(lo+w/2, h.max))
		}
	}
	return time.Duration(h.max)
}

func (h *hist) mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}

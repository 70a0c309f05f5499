package ring_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/rcemu/rcemu/internal/ring"
)

func TestRecentNewestFirstAndBounded(t *testing.T) {
	r := ring.New[int](3)
	if got := r.Recent(0); len(got) != 0 {
		t.Fatalf("empty = %v", got)
	}
	for i := 1; i <= 5; i++ {
		r.Add(i)
	}
	if got := r.Recent(0); !reflect.DeepEqual(got, []int{5, 4, 3}) {
		t.Fatalf("all = %v", got)
	}
	if got := r.Recent(2); !reflect.DeepEqual(got, []int{5, 4}) {
		t.Fatalf("two = %v", got)
	}
	r.Clear()
	r.Add(9)
	if got := r.Recent(10); !reflect.DeepEqual(got, []int{9}) {
		t.Fatalf("after clear = %v", got)
	}
}

func TestConcurrentAdds(t *testing.T) {
	r := ring.New[int](100)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				r.Add(i)
				_ = r.Recent(5)
			}
		}()
	}
	wg.Wait()
	if len(r.Recent(0)) != 100 {
		t.Fatal("ring not full")
	}
}

//go:build !linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

var errNoProc = errors.New("needs Linux /proc")

func procMem(int) (int64, int64, error)  { return 0, 0, errNoProc }
func procCPU(int) (time.Duration, error) { return 0, errNoProc }
func selfCPU() time.Duration             { return 0 }
func dieWithParent(*exec.Cmd)            {}
func terminate(p *os.Process) error      { return p.Signal(os.Interrupt) }

func systemBusy() (time.Duration, error) { return 0, errNoProc }

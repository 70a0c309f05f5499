// Command rcemu runs a local emulator of the RingCentral REST API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rcemu/rcemu/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

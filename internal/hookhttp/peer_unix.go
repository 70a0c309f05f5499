//go:build unix

package hookhttp

import (
	"net"
	"syscall"
)

// peerOpen reports whether the receiver has neither closed c nor reset it, without waiting: a
// non-blocking peek at the socket. net/http learns the same from the read its idle connections
// always have pending; a peek costs one system call when the connection is taken instead of a
// goroutine per connection.
func peerOpen(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := true
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			// nothing to read: open
		case err != nil, n == 0:
			open = false // reset, or closed (end of stream)
		default:
			open = false // an answer nobody asked for: the connection is out of step
		}
		return true
	})
	return open && err == nil
}

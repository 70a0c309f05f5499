package console

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
)

// etag names this build's assets as a whole: one hash of every file, made once.
var etag = func() string {
	sum := sha256.New()
	_ = fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		sum.Write([]byte(p))
		sum.Write(b)
		return err
	})
	return `"` + hex.EncodeToString(sum.Sum(nil)[:12]) + `"`
}()

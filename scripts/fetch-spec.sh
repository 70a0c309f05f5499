#!/usr/bin/env bash
# Fetches RingCentral's OpenAPI spec into .cache/spec/rc-public-openapi.yml, where `rcemu serve`
# and the tests find it. The spec is RingCentral's and is never committed: it comes from the npm
# package ringcentral-open-api-parser, which ships it, and is checked against the SHA-256 recorded
# here. Run it again after changing VERSION and SHA256. Needs npm (the registry) and tar.
#
#   scripts/fetch-spec.sh          # fetch if absent or different, else do nothing
#   RCEMU_SPEC_FORCE=1 scripts/fetch-spec.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=ringcentral-open-api-parser
VERSION=0.15.9
SHA256=a54c9431bab2d8526da1bfb2ee0d4e92a7eae5b167d44dc9281cb6347309b30e
OUT=.cache/spec/rc-public-openapi.yml

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

if [ -z "${RCEMU_SPEC_FORCE:-}" ] && [ -f "$OUT" ] && [ "$(sha256 "$OUT")" = "$SHA256" ]; then
	exit 0
fi

mkdir -p "$(dirname "$OUT")"
# The cache ignores itself, whatever the repository's .gitignore says.
printf '*\n' > .cache/.gitignore

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --no-audit --no-fund "$PKG@$VERSION" >/dev/null)
tar -xmzf "$tmp/$PKG-$VERSION.tgz" -C "$tmp" package/rc-public-openapi.yml
got=$(sha256 "$tmp/package/rc-public-openapi.yml")
if [ "$got" != "$SHA256" ]; then
	echo "fetch-spec: $PKG@$VERSION rc-public-openapi.yml has SHA-256 $got, expected $SHA256" >&2
	exit 1
fi
mv "$tmp/package/rc-public-openapi.yml" "$OUT"
echo "fetch-spec: $OUT from $PKG@$VERSION (sha256 ${SHA256:0:12})"

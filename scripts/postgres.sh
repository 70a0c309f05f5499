#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: its own data directory under a temporary
# directory, a free port on 127.0.0.1 and a unix socket there, trust authentication.
#   scripts/postgres.sh start   create and start it, print RCEMU_TEST_POSTGRES=<dsn>
#   scripts/postgres.sh env     print the DSN line of the running cluster
#   scripts/postgres.sh stop    stop it and remove its directory
# The cluster's directory is kept in $RCEMU_PG_STATE (default .cache/postgres.state) so that
# stop finds it. PostgreSQL refuses to run as root, so as root it runs as the postgres user
# (created by Debian's package) or, failing that, as nobody.
set -euo pipefail
state=${RCEMU_PG_STATE:-$(cd "$(dirname "$0")/.." && pwd)/.cache/postgres.state}

find_bin() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) ; do
		if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
	done
	if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
	return 1
}

install_pg() {
	# Only where we may: as root with apt (CI's fresh Debian machine).
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "postgres.sh: installing Debian's postgresql package" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	fi
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

cmd=${1:-}
case "$cmd" in
start)
	if [ -f "$state" ] && . "$state" && [ -n "${PGDIR:-}" ] && [ -f "$PGDIR/data/postmaster.pid" ]; then
		echo "RCEMU_TEST_POSTGRES=$DSN"
		exit 0
	fi
	bin=$(find_bin || { install_pg && find_bin; }) || {
		echo "postgres.sh: PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or PATH)" >&2
		echo "postgres.sh: install it (Debian: apt-get install postgresql) to run the PostgreSQL tests" >&2
		exit 2
	}
	owner=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		owner=postgres
		id postgres >/dev/null 2>&1 || owner=nobody
	fi
	dir=$(mktemp -d /tmp/rcemu-pg.XXXXXX)
	chmod 755 "$dir"
	mkdir "$dir/data" "$dir/sock"
	[ "$(id -u)" = 0 ] && chown "$owner" "$dir/data" "$dir/sock"
	port=$(free_port)
	as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2; exit 1; }
	# fsync off: a throwaway cluster; what it holds is gone with the test run anyway.
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 30 \
		-o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
		start >&2 || { cat "$dir/data/server.log" >&2; exit 1; }
	dsn="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	mkdir -p "$(dirname "$state")"
	printf 'PGDIR=%q\nPGBIN=%q\nOWNER=%q\nDSN=%q\n' "$dir" "$bin" "$owner" "$dsn" >"$state"
	echo "RCEMU_TEST_POSTGRES=$dsn"
	;;
env)
	[ -f "$state" ] || { echo "postgres.sh: no cluster started" >&2; exit 1; }
	. "$state"
	echo "RCEMU_TEST_POSTGRES=$DSN"
	;;
stop)
	[ -f "$state" ] || exit 0
	. "$state"
	owner=$OWNER
	as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$PGDIR" "$state"
	;;
*)
	echo "usage: $0 start|stop|env" >&2
	exit 2
	;;
esac

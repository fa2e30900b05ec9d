#!/bin/sh
# A PostgreSQL 15 server of the tests' own: initdb into DIR, listening only
# on a Unix socket in DIR (no port to clash with), as an unprivileged user
# since the server refuses to run as root (the Debian package's `postgres`).
#   server.sh start DIR [durable]   a new, empty server (any old one in DIR
#                                   stopped and removed first); `durable`:
#                                   fsync on, as in production (benchmarks)
#   server.sh restart DIR           stop (fast: connections cut) and start again
#   server.sh stop DIR              stop it and remove DIR
#   server.sh uri DIR               the store URI of its database `onetrip`
#   server.sh advance DIR XID       its next transaction id XID (pg_resetwal;
#                                   a multiple of 32768, a page of pg_xact),
#                                   as on a busy server
#   server.sh backup DIR TO         a base backup of it in TO (pg_basebackup)
#   server.sh recover TO            that backup started as a server of its own,
#                                   recovered to the backup's end and promoted:
#                                   a new timeline, as a restore to a point does
set -eu
cmd=$1
dir=$2
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
if [ ! -x "$bindir/initdb" ]; then
	echo "server.sh: no PostgreSQL server found: run tools/setup-deps" >&2
	exit 1
fi

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=postgres --regid=postgres --init-groups "$@"
	else
		"$@"
	fi
}

stop() {
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	fi
}

case $cmd in
start)
	stop
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -A trust -U onetrip -E UTF8 --locale=C \
		--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	sync=off
	[ "${3:-}" = durable ] && sync=on
	# the tests' server: no fsync (nothing here must survive a power cut,
	# only a crash of the server, which the page cache survives)
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = $sync
full_page_writes = $sync
max_connections = 100
shared_buffers = 64MB
CONF
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	as_owner "$bindir/createdb" -h "$dir" -U onetrip onetrip
	;;
restart)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart \
		>/dev/null
	;;
stop)
	stop
	rm -rf "$dir"
	;;
uri)
	echo "postgresql:///onetrip?host=$dir&user=onetrip"
	;;
advance)
	stop
	as_owner "$bindir/pg_resetwal" -x "$3" -D "$dir/data" >/dev/null
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
	;;
backup)
	to=$3
	rm -rf "$to"
	mkdir -p "$to"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$to"
	as_owner "$bindir/pg_basebackup" -h "$dir" -U onetrip -D "$to/data" -X stream -c fast
	;;
recover)
	cat >>"$dir/data/postgresql.conf" <<CONF
unix_socket_directories = '$dir'
restore_command = 'false'
recovery_target = 'immediate'
recovery_target_action = 'promote'
CONF
	as_owner touch "$dir/data/recovery.signal"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	for i in $(seq 1 100); do
		[ "$(psql -X -A -t "postgresql:///onetrip?host=$dir&user=onetrip" \
			-c 'SELECT pg_is_in_recovery()')" = f ] && exit 0
		sleep 0.1
	done
	echo "server.sh: $dir is still recovering" >&2
	exit 1
	;;
*)
	echo "usage: server.sh start|restart|stop|uri|advance|backup|recover DIR ..." >&2
	exit 2
	;;
esac

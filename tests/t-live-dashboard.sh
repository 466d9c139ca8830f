#!/bin/sh
# nm-live's dashboard under a real pseudo-terminal: tmux runs it, and
# capture-pane gives the screen as text.  Checks that the screen shows the
# database's numbers (computed here with sqlite3), that the keys switch
# views, pick the older session and pause, that a resize redraws (and a
# tiny terminal says so), that q and SIGTERM exit 0 with the terminal
# restored (stty settings before = after), that a missing database is
# waited for, a locked one reported as busy and a newer schema refused, and
# that output into a pipe is the text summaries.
# Waits are "until the screen shows X" with a deadline, never a fixed sleep.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
for t in tmux sqlite3; do
    command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
if [ ! -x "$BUILD/nm-capture" ] || [ ! -x "$BUILD/nm-live" ]; then
    echo "skip: $BUILD/nm-capture or $BUILD/nm-live missing"; exit 77
fi
live=$top/$BUILD/nm-live

tmp=$(mktemp -d)
# One tmux server per run of nm-live: a server being killed can still hold
# the old socket name for a moment.
runs=0
sock=$tmp/tmux-0
lockpid=
cleanup() {
    i=0
    while [ $i -le $runs ]; do tmux -S "$tmp/tmux-$i" kill-server 2>/dev/null; i=$((i + 1)); done
    [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
db=$tmp/live.db
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for cap in sample-pcaps/mixed-lab.pcap sample-pcaps/latency-lab.pcap; do
    "$BUILD/nm-capture" -r "$cap" -d "$db" --no-log -q 2>"$tmp/err" ||
        { cat "$tmp/err"; echo "nm-capture failed on $cap"; exit 1; }
done
q() { sqlite3 "$db" "$1"; }

screen() { tmux -S "$sock" capture-pane -p -t nm 2>/dev/null; }
# wait_for TEXT: until the screen holds TEXT (fixed string); 30 s deadline.
wait_for() {
    i=0
    while [ $i -lt 300 ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "--- screen:"; screen
    return 1
}
has() { screen | grep -qF -- "$1" || { bad "screen lacks '$1'"; screen | sed 's/^/    | /'; }; }
has_re() { screen | grep -qE -- "$1" || { bad "screen lacks /$1/"; screen | sed 's/^/    | /'; }; }
key() { tmux -S "$sock" send-keys -t nm "$@"; }

# start ARGS...: nm-live in a new 120x40 terminal; its exit status goes to
# $tmp/rc and the stty settings before and after to $tmp/before, $tmp/after.
start() {
    rm -f "$tmp/rc" "$tmp/before" "$tmp/after" "$tmp/pid"
    tmux -S "$sock" kill-server 2>/dev/null
    runs=$((runs + 1)); sock=$tmp/tmux-$runs
    cat > "$tmp/run.sh" <<EOF
stty -g > "$tmp/before"
# exec: the pid written is nm-live's.
TERM=screen LC_ALL=$LANG_RUN sh -c 'echo \$\$ > "$tmp/pid"; exec "\$0" "\$@"' "$live" "\$@"
echo \$? > "$tmp/rc.tmp"; stty -g > "$tmp/after"; mv "$tmp/rc.tmp" "$tmp/rc"
sleep 600
EOF
    tmux -S "$sock" -f /dev/null new-session -d -s nm -x 120 -y 40 sh "$tmp/run.sh" "$@"
}
# finished WANT: nm-live exited with WANT and left the terminal as it was.
finished() {
    i=0
    while [ ! -f "$tmp/rc" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ -f "$tmp/rc" ] || { bad "nm-live did not exit"; return; }
    [ "$(cat "$tmp/rc")" = "$1" ] || bad "exit status $(cat "$tmp/rc"), want $1"
    cmp -s "$tmp/before" "$tmp/after" || bad "terminal settings not restored"
}

# --- the overview of the newest session --------------------------------
LANG_RUN=C.UTF-8
start -d "$db" -n 0.5
wait_for "Packets " || bad "no dashboard"
pk=$(q "SELECT packets FROM sessions WHERE id = 2")
by=$(q "SELECT bytes FROM sessions WHERE id = 2")
has "session 2 (newest)"
has "Packets $pk  Bytes $by "
has "Unique IPv4 $(q "SELECT count(*) FROM addresses WHERE session_id = 2 AND kind = 'ipv4'")  IPv6 $(q "SELECT count(*) FROM addresses WHERE session_id = 2 AND kind = 'ipv6'")  MAC $(q "SELECT count(*) FROM addresses WHERE session_id = 2 AND kind = 'mac'")"
has "Connections $(q "SELECT sum(connections) FROM connections_per_protocol WHERE session_id = 2"): TCP $(q "SELECT connections FROM connections_per_protocol WHERE session_id = 2 AND proto = 'TCP'")"
has "Drops kernel 0 ifdrop 0 queue 0 (last 30 s: 0 0 0)"
has "source sample-pcaps/latency-lab.pcap"
has "complete"
# Every protocol has its row, and traffic draws block characters.
for p in $(q "SELECT name FROM protocols ORDER BY id"); do has_re "^$p +[0-9.]+ [kMG]?b/s"; done
has_re "^Ethernet .*[▁▂▃▄▅▆▇█]"
has "updated "

# --- latency view: counts per kind from latency_samples ------------------
key 3
wait_for "connection latency per protocol" || bad "no latency view"
for k in $(q "SELECT kind FROM latency_kinds"); do
    n=$(q "SELECT count(*) FROM latency_samples WHERE session_id = 2 AND kind = '$k'")
    has_re "^$k +$n +0 "
done
has_re "^all +$(q "SELECT samples FROM latency_per_protocol WHERE session_id = 2 AND proto = 'all'") +$(q "SELECT printf('%.3f', mean_us / 1000.0) FROM latency_per_protocol WHERE session_id = 2 AND proto = 'all'")"

# --- talkers view: the top address, its packets and bytes ----------------
key Tab
wait_for "IP address" || bad "tab did not go to talkers"
q "SELECT address, packets, bytes FROM top_talkers WHERE session_id = 2 AND kind = 'mac'
   AND rank = 1" | { IFS='|' read -r a p b; echo "$a $p $b"; } > "$tmp/mac1"
read -r a p b < "$tmp/mac1"
has_re "^ 1  $a +$p +$b "

# --- throughput view ------------------------------------------------------
key 2
wait_for "Ethernet throughput" || bad "no throughput view"
key Down
wait_for "VLAN throughput" || bad "down did not select the next protocol"

# --- s: the older session, pinned -----------------------------------------
key 1 s
wait_for "session 1 (pinned)" || bad "s did not pin session 1"
has "Packets 68  Bytes 6424 "
key f
wait_for "session 2 (newest)" || bad "f did not follow the newest again"

# --- resize: too small, then a new size that is drawn to fit --------------
tmux -S "$sock" resize-window -t nm -x 50 -y 10
wait_for "terminal too small (50x10" || bad "tiny terminal not reported"
tmux -S "$sock" resize-window -t nm -x 80 -y 24
wait_for "Packets $pk" || bad "no redraw after resize"
w=$(screen | LC_ALL=C sed 's/\xe2\x96[\x81-\x88]/x/g' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
[ "$w" -le 80 ] || bad "lines wider than the 80-column terminal ($w)"

# --- p pauses, q quits: exit 0, terminal restored -------------------------
key p
wait_for "PAUSED" || bad "p did not pause"
key q
finished 0

# --- SIGTERM: exit 0, terminal restored (ASCII mode: LANG=C) --------------
LANG_RUN=C
start -d "$db"
wait_for "Packets " || bad "no dashboard (LANG=C)"
screen | grep -q '[▁▂▃▄▅▆▇█]' && bad "block characters in a non-UTF-8 locale"
i=0; while [ ! -s "$tmp/pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$(cat "$tmp/pid")"
finished 0

# --- a missing database is waited for, then shown ------------------------
start -d "$tmp/later.db"
wait_for "waiting for database $tmp/later.db to appear" || bad "no waiting message"
"$BUILD/nm-capture" -r sample-pcaps/mixed-lab.pcap -d "$tmp/later.db" --no-log -q ||
    bad "nm-capture later.db"
wait_for "Packets 68  Bytes 6424 " || bad "the database that appeared is not shown"
key q
finished 0

# --- a locked database: "database busy, retrying", then fine --------------
cp "$db" "$tmp/locked.db"
sqlite3 "$tmp/locked.db" "PRAGMA journal_mode = DELETE" >/dev/null
start -d "$tmp/locked.db" -n 0.5
wait_for "Packets $pk" || bad "no dashboard (locked.db)"
mkfifo "$tmp/fifo"
sqlite3 "$tmp/locked.db" < "$tmp/fifo" > "$tmp/lockout" 2>&1 &
lockpid=$!
exec 3> "$tmp/fifo"
printf 'BEGIN EXCLUSIVE;\nSELECT count(*) FROM sessions;\n.print locked\n' >&3
wait_for "database busy, retrying" || bad "lock not reported"
has "Packets $pk"     # the last snapshot stays on screen
printf 'COMMIT;\n' >&3
exec 3>&-
wait "$lockpid"; lockpid=
wait_for "updated " || bad "no recovery after the lock"
key q
finished 0

# --- a newer schema: refused before the screen is taken, exit 2 ----------
cp "$db" "$tmp/newer.db"
sqlite3 "$tmp/newer.db" "PRAGMA user_version = 99" >/dev/null
start -d "$tmp/newer.db"
finished 2
wait_for "schema version 99" || bad "newer schema: no message"

# --- not a terminal: the text summaries ------------------------------------
mkfifo "$tmp/out"
"$live" -d "$db" > "$tmp/out" 2>&1 &
livepid=$!
head -n 1 "$tmp/out" > "$tmp/first"
kill "$livepid"; wait "$livepid"
grep -q '^== throughput over the last 10 s, session 2,' "$tmp/first" ||
    bad "pipe output is not the text summaries: $(cat "$tmp/first")"

if [ $fail -ne 0 ]; then exit 1; fi
echo "ok: dashboard numbers, 4 views, keys, resize, q and SIGTERM restore the terminal, missing/locked/newer databases, pipe output"

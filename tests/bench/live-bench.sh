#!/bin/bash
# tests/bench/live-bench.sh - live capture at rising packet rates: a sender
# replays a capture into a veth pair (tests/lab/netns.sh) at 50k, 100k,
# 150k, 250k, 400k and 600k packets/s and then at full speed, and the
# captures below listen on the receiving end, one at a time.  Two senders,
# one series each:
#
#   tcpreplay                         one frame per system call: about
#                                     230,000 packets/s at most on the 2-core
#                                     VM with nothing capturing (a full core)
#   tests/bench/replay.c              the frames preloaded, 32 per sendmmsg()
#                                     on a packet socket: about 500,000/s
#
# so that the steps above tcpreplay's limit measure the captures, not the
# sender.  The captures:
#
#   nm-capture -i IF                  per-packet mode (rows + event log)
#   nm-capture -A -i IF               aggregate mode
#   tcpdump -i IF -w /dev/null        the reference (libpcap's 2 MiB buffer)
#   tcpdump -B 8192 -i IF -w /dev/null    with nm-capture's default buffer
#
# A step counts as "zero drops" when the capture saw every packet tcpreplay
# sent and reported no drop of any kind (nm-capture: sessions.drops_kernel,
# drops_ifdrop, drops_queue; tcpdump: "dropped by kernel" and "dropped by
# interface").  Each program rises until its first step with drops; the
# highest zero-drop rate is reported.  tcpreplay's own "Rated: ... pps" says
# what rate was really achieved: a step whose actual rate is below 95 % of
# the target is marked, and the rise stops there (the sender is the limit).
#
#   live-bench.sh OUT.md          (run-bench.sh calls it; needs root)
#
# Then, when replay is one of the senders, a sustained step: 1,000,000
# packets of mixed.pcap at 250,000 packets/s (NM_BENCH_LIVE_SUSTAINED=0
# skips it), one try per capture, because 200,000-packet steps are short
# next to the queues (65,536 records plus an 8 MiB kernel buffer hold a
# third of a step) and can pass where a longer run drops rows.
#
# Environment: NM_BENCH_LIVE_SENDERS (default "tcpreplay replay"), BUILD (default build), NM_BENCH_DIR (default
# /tmp/bench-captures), NM_BENCH_LIVE_PCAP (default mixed-200k.pcap: 200,000
# packets per step keep the whole run near 3 minutes; mixed.pcap's 3.1 M
# would take ten times as long), NM_BENCH_LIVE_RATES (default
# "50000 100000 150000 250000 400000 600000 top"), NM_BENCH_LIVE_TRIES
# (default 2: a step is held if one of its tries saw every packet),
# NM_BENCH_LIVE_LIMIT (packets per step, tcpreplay --limit: with
# NM_BENCH_LIVE_PCAP=mixed.pcap and 1000000, steps of 5-20 s measure
# sustained rates rather than what the queues absorb).
# Exit 0 (results written), 77 (cannot run here: reason on stdout), 1 error.
BUILD=${BUILD:-build}
CAPDIR=${NM_BENCH_DIR:-/tmp/bench-captures}
PCAP=$CAPDIR/${NM_BENCH_LIVE_PCAP:-mixed-200k.pcap}
RATES=${NM_BENCH_LIVE_RATES:-50000 100000 150000 250000 400000 600000 top}
TRIES=${NM_BENCH_LIVE_TRIES:-2}
LIMIT=${NM_BENCH_LIVE_LIMIT:-}
SENDERS=${NM_BENCH_LIVE_SENDERS:-tcpreplay replay}
OUTMD=${1:?usage: live-bench.sh OUT.md}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
case $OUTMD in /*) ;; *) OUTMD=$top/$OUTMD ;; esac

skip() { echo "live bench skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
for t in tcpreplay tcpdump sqlite3 ip ethtool; do
    command -v $t >/dev/null 2>&1 || skip "needs $t"
done
[ -x "$BUILD/nm-capture" ] || skip "$BUILD/nm-capture is not built"
[ -f "$PCAP" ] || skip "$PCAP missing"

. "$top/tests/lab/netns.sh"
NM_PID=""
bench_down() {
    local rc=$?
    [ -n "$NM_PID" ] && kill -KILL "$NM_PID" 2>/dev/null
    nm_lab_down
    return $rc
}
nm_lab_up || exit 1
trap bench_down EXIT
W=$NM_LAB_TMP
cp "$BUILD/nm-capture" "$W/nm-capture"   # a rebuild during the run changes nothing
NC=$W/nm-capture
case " $SENDERS " in *" replay "*)
    ${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror tests/bench/replay.c \
        -o "$W/replay" -lpcap || { echo "cannot compile tests/bench/replay.c" >&2; exit 1; } ;;
esac
IF=$NM_LAB_SRV_IF
# Frames of up to 1514 bytes: the veth's MTU must let them all through.
ip -n "$NM_LAB_CLI" link set "$NM_LAB_CLI_IF" mtu 9000
ip -n "$NM_LAB_SRV" link set "$IF" mtu 9000
nm_lab_settle 2
SENT_TOTAL=${NM_BENCH_LIVE_LIMIT:-$(tcpdump -r "$PCAP" -n 2>/dev/null | wc -l)}   # per step
cat "$PCAP" >/dev/null

# replay RATE: SENDER sends the capture once; sets ACT_PPS ("Rated") and
# ACT_SENT ("Successful packets"), which both senders print.
replay() {
    local opt
    if [ "$SENDER" = replay ]; then
        if [ "$1" = top ]; then opt=-t; else opt="-p $1"; fi
        ip netns exec "$NM_LAB_CLI" "$W/replay" -i "$NM_LAB_CLI_IF" $opt ${LIMIT:+-n $LIMIT} \
            "$PCAP" >"$W/replay.out" 2>&1
    else
        if [ "$1" = top ]; then opt=--topspeed; else opt=--pps=$1; fi
        ip netns exec "$NM_LAB_CLI" tcpreplay -q -i "$NM_LAB_CLI_IF" $opt ${LIMIT:+--limit=$LIMIT} \
            "$PCAP" >"$W/replay.out" 2>&1
    fi
    replay_result
}

# replay_result: ACT_PPS and ACT_SENT from the last replay (run_nm and
# run_tcpdump run in a subshell: the caller reads them again).
replay_result() {
    ACT_PPS=$(sed -n 's/.*Rated:.* \([0-9.]*\) pps.*/\1/p' "$W/replay.out" | head -n 1)
    # "Successful packets": Actual counts attempts, failed ones included.
    ACT_SENT=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$W/replay.out" | head -n 1)
    ACT_PPS=${ACT_PPS%.*}
}

# nm_quiet: polls the session row until its count stops changing (the
# capture has read everything still buffered; the row is updated once a
# second), at most 30 s.
nm_quiet() {
    local last=-1 cur i
    for i in $(seq 1 25); do
        cur=$(sqlite3 "$W/b.db" "SELECT packets + drops_kernel + drops_ifdrop FROM sessions" 2>/dev/null)
        [ "${cur:-0}" -ge "${ACT_SENT:-0}" ] && return 0
        [ "$cur" = "$last" ] && return 0      # unchanged over more than one update
        last=$cur
        sleep 1.2
    done
}

# run_nm MODE RATE: one step; prints "captured kernel ifdrop queue".
run_nm() {
    local mode=$1 rate=$2 i args
    rm -f "$W"/b.db* "$W/b.log"
    if [ "$mode" = aggregate ]; then args="-A"; else args="-l $W/b.log"; fi
    ip netns exec "$NM_LAB_SRV" "$NC" -q -i "$IF" -d "$W/b.db" $args >"$W/nm.out" 2>&1 &
    NM_PID=$!
    for i in $(seq 1 100); do
        [ -s "$W/b.db" ] && [ "$(sqlite3 "$W/b.db" "SELECT count(*) FROM sessions" 2>/dev/null)" = 1 ] && break
        sleep 0.1
    done
    replay "$rate"
    nm_quiet
    kill -INT "$NM_PID"; wait "$NM_PID"; NM_PID=""
    sqlite3 -separator ' ' "$W/b.db" "SELECT packets, drops_kernel, drops_ifdrop, drops_queue FROM sessions"
}

# run_tcpdump RATE [-B KIB]: prints "captured kernel ifdrop -".
run_tcpdump() {
    local i rate=$1; shift
    ip netns exec "$NM_LAB_SRV" tcpdump -n -i "$IF" "$@" -w /dev/null >"$W/td.err" 2>&1 &
    NM_PID=$!
    for i in $(seq 1 100); do grep -q 'listening on' "$W/td.err" && break; sleep 0.1; done
    replay "$rate"
    sleep 2
    kill -INT "$NM_PID"; wait "$NM_PID"; NM_PID=""
    # "received by filter" (the socket's count of packets it was handed,
    # dropped ones included) less "dropped by kernel": what tcpdump got.
    # Not "captured": that leaves out what was still in the ring buffer
    # when SIGINT stopped it, which is no drop.
    local c k f
    c=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$W/td.err")
    k=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$W/td.err")
    f=$(sed -n 's/^\([0-9]*\) packets dropped by interface.*/\1/p' "$W/td.err")
    echo "$((${c:-0} - ${k:-0})) ${k:-0} ${f:-0} -"
}

# step PROG RATE: one run of capture PROG with the sender at RATE; sets cap,
# kd, ifd, qd (captured, kernel, interface and queue drops) and ok (1: every
# packet the sender sent was seen and nothing was dropped).
step() {
    local r
    case $1 in
    tcpdump) r=$(run_tcpdump "$2") ;;
    "tcpdump -B 8192") r=$(run_tcpdump "$2" -B 8192) ;;
    *) r=$(run_nm "$1" "$2") ;;
    esac
    replay_result
    read -r cap kd ifd qd <<<"$r"
    ok=1
    [ "${cap:-0}" -ge "${ACT_SENT:-1}" ] || ok=0
    [ "${kd:-0}" = 0 ] && [ "${ifd:-0}" = 0 ] && { [ "$qd" = - ] || [ "${qd:-0}" = 0 ]; } || ok=0
}

rows=$W/rows
: >"$rows"
declare -A best
PROGS=("per-packet" "aggregate" "tcpdump" "tcpdump -B 8192")
for SENDER in $SENDERS; do
for prog in "${PROGS[@]}"; do
    key="$SENDER $prog"
    best[$key]=0
    for rate in $RATES; do
        # Up to TRIES tries: other jobs on the machine make single runs
        # noisy; a rate counts as held if one try saw everything.
        for try in $(seq 1 "$TRIES"); do
            step "$prog" "$rate"
            note=""
            slow=0
            if [ "$rate" != top ] && [ "${ACT_PPS:-0}" -lt $((rate * 95 / 100)) ]; then
                slow=1; note="$SENDER reached only $ACT_PPS pps"
            fi
            [ $ok = 1 ] && [ "${ACT_PPS:-0}" -gt "${best[$key]}" ] && best[$key]=$ACT_PPS
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SENDER" "$prog" "$rate" "$try" "$ACT_PPS" \
                "$ACT_SENT" "$cap" "$kd" "$ifd" "$qd" "$([ $ok = 1 ] && echo yes || echo no)" "$note" >>"$rows"
            printf '  %-9s %-16s target %-7s try %s actual %7s pps: sent %s captured %s drops kernel %s ifdrop %s queue %s %s\n' \
                "$SENDER" "$prog" "$rate" "$try" "$ACT_PPS" "$ACT_SENT" "$cap" "$kd" "$ifd" "$qd" "$note" >&2
            [ $ok = 1 ] && break
        done
        [ $ok = 1 ] || break
        if [ $slow = 1 ]; then
            # The sender is the limit: one last step at full speed shows the
            # most it can send while this capture runs (it shares the CPUs).
            case " $RATES " in *" top "*) [ "$rate" != top ] && rate_top=1 ;; esac
            break
        fi
    done
    if [ "${rate_top:-0}" = 1 ]; then
        rate_top=0
        step "$prog" top
        [ $ok = 1 ] && [ "${ACT_PPS:-0}" -gt "${best[$key]}" ] && best[$key]=$ACT_PPS
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SENDER" "$prog" top 1 "$ACT_PPS" \
            "$ACT_SENT" "$cap" "$kd" "$ifd" "$qd" "$([ $ok = 1 ] && echo yes || echo no)" \
            "full speed after the sender fell short" >>"$rows"
        printf '  %-9s %-16s target top     try 1 actual %7s pps: sent %s captured %s drops kernel %s ifdrop %s queue %s\n' \
            "$SENDER" "$prog" "$ACT_PPS" "$ACT_SENT" "$cap" "$kd" "$ifd" "$qd" >&2
    fi
done
done

# The sustained step (see the top): rows "sender<TAB>prog<TAB>rate<TAB>actual<TAB>
# sent<TAB>captured<TAB>kernel<TAB>ifdrop<TAB>queue<TAB>all seen".
sustained=$W/sustained
: >"$sustained"
SUST_PCAP=$CAPDIR/mixed.pcap
case " $SENDERS " in *" replay "*)
    if [ "${NM_BENCH_LIVE_SUSTAINED:-1}" != 0 ] && [ -f "$SUST_PCAP" ]; then
        saved_pcap=$PCAP saved_limit=$LIMIT
        PCAP=$SUST_PCAP LIMIT=1000000 SENDER=replay
        for prog in "${PROGS[@]}"; do
            step "$prog" 250000
            printf '%s\t%s\t250000\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' replay "$prog" "$ACT_PPS" \
                "$ACT_SENT" "$cap" "$kd" "$ifd" "$qd" "$([ $ok = 1 ] && echo yes || echo no)" >>"$sustained"
            printf '  sustained %-16s actual %7s pps: sent %s captured %s drops kernel %s ifdrop %s queue %s\n' \
                "$prog" "$ACT_PPS" "$ACT_SENT" "$cap" "$kd" "$ifd" "$qd" >&2
        done
        PCAP=$saved_pcap LIMIT=$saved_limit
    fi ;;
esac

{
    echo "## Live capture at rising rates ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "A sender ($SENDERS: see tests/bench/live-bench.sh) sends \`$PCAP\` ($SENT_TOTAL packets per step) into a veth pair between two"
    echo "network namespaces; the capture runs on the receiving end, one program at a time, with"
    echo "default buffers (nm-capture 8 MiB, tcpdump 2 MiB; tcpdump also with 8 MiB). \"all seen\" = the capture saw every packet sent and reported no drop of"
    echo "any kind. Each program stops rising at its first step with drops. Load average at the"
    echo "start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share this $(nproc)-core machine)."
    echo
    echo "| sender | program | target pps | try | actual pps | sent | captured | kernel drops | ifdrops | queue drops | all seen | note |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                  $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' "$rows"
    echo
    echo "Highest rate with every packet seen and no drop (the sender's actual rate):"
    echo
    echo "| capture | $(echo $SENDERS | sed 's/ / | /g') |"
    echo "|---|$(for x in $SENDERS; do printf -- '---:|'; done)"
    for prog in "${PROGS[@]}"; do
        case $prog in
        per-packet) label="nm-capture per-packet (target 250,000)" ;;
        aggregate) label="nm-capture -A (target: at least tcpdump's)" ;;
        tcpdump) label="tcpdump -w /dev/null" ;;
        *) label="tcpdump -B 8192 -w /dev/null (nm-capture's buffer size)" ;;
        esac
        printf '| %s |' "$label"
        for x in $SENDERS; do printf ' %s |' "${best[$x $prog]:-}"; done
        echo
    done
    if [ -s "$sustained" ]; then
        echo
        echo "Sustained: 1,000,000 packets of \`$SUST_PCAP\` at 250,000 packets/s (replay), one try"
        echo "each (the steps above are 200,000 packets, a third of which the queues can hold):"
        echo
        echo "| sender | program | target pps | actual pps | sent | captured | kernel drops | ifdrops | queue drops | all seen |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
        awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                      $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$sustained"
    fi
} >"$OUTMD"
cat "$OUTMD"

#!/bin/sh
# Runs every test: unit programs, fuzz-corpus replays, then the script tests
# tests/t-*.sh in name order.  A script exits 0 (pass), 77 (skip, with its
# reason on stdout) or anything else (fail).  Ends with the line
# "N passed, N failed, N skipped".
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
# PLplot's libraries keep caches LeakSanitizer reports (tests/lsan.supp says
# which and why); every test that draws a graph needs the suppressions.
LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
pass=0; fail=0; skip=0; failed=""
log_dir=$BUILD/test-logs
mkdir -p "$log_dir"

# A test that hangs (a live capture waiting for packets that never come)
# fails after NM_TEST_TIMEOUT seconds instead of holding the run (and CI)
# forever (a whole pass, ASan included, takes about five minutes here).
limit=${NM_TEST_TIMEOUT:-900}

run() {  # name command...
    name=$1; shift
    if timeout -k 10 "$limit" "$@" > "$log_dir/$name.log" 2>&1; then
        pass=$((pass + 1)); echo "PASS $name"
    else
        rc=$?
        [ $rc -eq 124 ] && echo "run-tests: timed out after $limit s" >>"$log_dir/$name.log"
        if [ $rc -eq 77 ]; then
            skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log_dir/$name.log")"
        else
            fail=$((fail + 1)); failed="$failed $name"
            echo "FAIL $name (exit $rc); last lines of $log_dir/$name.log:"
            tail -n 20 "$log_dir/$name.log" | sed 's/^/    /'
        fi
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run "$(basename "$t")" "$t"
done
for r in "$BUILD"/tests/replay_*; do
    [ -x "$r" ] || continue
    n=$(basename "$r"); n=${n#replay_}
    run "replay_$n" "$r" tests/fuzz/corpus/"$n"
done
for s in tests/t-*.sh; do
    [ -f "$s" ] || continue
    if [ -n "$NM_TEST_ONLY" ] && ! echo "$s" | grep -Eq "$NM_TEST_ONLY"; then continue; fi
    run "$(basename "$s" .sh)" sh "$s"
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# Sift test runner: one entry point for developers and CI.
#
#   ./test.sh                          build + run every test project
#   SIFT_TEST_SERVERS_ONLY=1 ./test.sh start PostgreSQL, Redis and Dovecot, check them, stop
#
# What it does, in order:
#   1. installs what is missing (redis-server, dovecot-imapd, chromium; PostgreSQL only if absent),
#   2. starts a throwaway PostgreSQL, Redis and Dovecot (IMAP) on free loopback ports, in a temp dir,
#   3. exports SIFT_TEST_POSTGRES / SIFT_TEST_REDIS / SIFT_TEST_IMAP / SIFT_TEST_CHROMIUM for the tests,
#   4. builds Sift.sln once, runs each tests/*/*.csproj with a TRX logger,
#   5. sums the TRX counters and lists failed tests,
#   6. stops only what it started and removes the temp dir,
#   7. ends with the single line "N passed, N failed, N skipped".
#
# Exit status: 0 only if nothing failed and at least one test passed.
#
# Knobs (all optional):
#   CI=true                   a server that fails to start is fatal (outside CI the
#                             tests needing it skip themselves instead)
#   SIFT_TEST_SERVERS_ONLY=1  only exercise the server start/check/stop part
#   SIFT_TEST_RESULTS_DIR=DIR keep the .trx files in DIR (default: inside the temp dir,
#                             deleted at exit)
#   SIFT_TEST_HANG_TIMEOUT    per-test hang timeout passed to `dotnet test --blame-hang-timeout`
#                             (default 15m) so one stuck test cannot eat the CI time budget

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT
readonly PG_PORT_BASE=55432
readonly REDIS_PORT_BASE=56379
readonly IMAP_PORT_BASE=57143

# A lingering MSBuild node or compiler server would inherit our stdout and keep the CI
# log pipe open after the script ends; the dotnet CLI banners are just noise.
export MSBUILDDISABLENODEREUSE=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Server helpers (free ports, install-if-missing, start/stop PostgreSQL and Redis,
# cleanup of only what we started): svc_* functions and SVC_* state.
# shellcheck source=scripts/services.sh
source "$REPO_ROOT/scripts/services.sh"

# --- small helpers ------------------------------------------------------------------
log()  { svc_log "$@"; }
warn() { svc_warn "$@"; }

is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

# The final line every run ends with (CI reads it).
summary_line() { printf '%d passed, %d failed, %d skipped\n' "$1" "$2" "$3"; }

# --- cleanup (trap EXIT) ------------------------------------------------------------
# Stops only the servers this run started, removes the temp dir (svc_cleanup). Silent
# on success so nothing is printed after the summary line; idempotent so the explicit
# call before the summary and the EXIT trap do not clash.
svc_trap_cleanup

# --- installing -----------------------------------------------------------------------
# Installs redis-server and Dovecot (and PostgreSQL only if it is not there at all). Failures are
# reported, not fatal here: the starts then fail and the CI policy decides.
install_prerequisites() {
    svc_install_missing redis-server:redis-server redis-cli:redis-tools dovecot:dovecot-imapd chromium:chromium postgres || true
}

# --- servers: start + export ----------------------------------------------------------
# Starts the servers and exports the connection strings. Outside CI a server that
# fails is reported and its variable left unset (the tests needing it skip); in CI it
# is fatal. Returns non-zero only in the fatal case.
start_servers() {
    local fatal=0

    # fsync etc. stay at their defaults on purpose: benchmarks run against this setup.
    if svc_pg_start "$PG_PORT_BASE" 'max_connections = 200'; then
        export SIFT_TEST_POSTGRES="Host=127.0.0.1;Port=$SVC_PG_PORT;Username=postgres;Database=postgres;Pooling=true"
        log "PostgreSQL ready on 127.0.0.1:$SVC_PG_PORT"
    else
        unset SIFT_TEST_POSTGRES
        warn "ERROR: could not start PostgreSQL; SIFT_TEST_POSTGRES is not set, tests needing it will skip"
        fatal=1
    fi

    if svc_redis_start "$REDIS_PORT_BASE"; then
        export SIFT_TEST_REDIS="127.0.0.1:$SVC_REDIS_PORT"
        log "Redis ready on 127.0.0.1:$SVC_REDIS_PORT"
    else
        unset SIFT_TEST_REDIS
        warn "ERROR: could not start Redis; SIFT_TEST_REDIS is not set, tests needing it will skip"
        fatal=1
    fi

    # The IMAP tests deliver mail with APPEND as these users and watch it arrive.
    if svc_dovecot_start "$IMAP_PORT_BASE" support sales; then
        export SIFT_TEST_IMAP="Host=127.0.0.1;Port=$SVC_DOVECOT_PORT;Users=support,sales;Password=$SVC_DOVECOT_PASSWORD"
        log "Dovecot (IMAP) ready on 127.0.0.1:$SVC_DOVECOT_PORT"
    else
        unset SIFT_TEST_IMAP
        warn "ERROR: could not start Dovecot; SIFT_TEST_IMAP is not set, tests needing it will skip"
        fatal=1
    fi

    # The console's browser tests drive Debian's Chromium through Playwright, which never downloads a browser of its own.
    if command -v chromium >/dev/null 2>&1; then
        SIFT_TEST_CHROMIUM="$(command -v chromium)"
        export SIFT_TEST_CHROMIUM
        log "Chromium at $SIFT_TEST_CHROMIUM"
    else
        unset SIFT_TEST_CHROMIUM
        warn "ERROR: chromium is not installed; the console's browser tests will skip"
        fatal=1
    fi

    if (( fatal )) && is_ci; then
        warn "CI=true: a required test server failed to start"
        return 1
    fi
    return 0
}

# --- SIFT_TEST_SERVERS_ONLY: smoke-check the servers ---------------------------------
check_servers() {
    local passed=0 failed=0 out
    check() {  # check NAME EXPECTED ACTUAL
        if [[ "$3" == "$2" ]]; then
            printf '  ok   %s (%s)\n' "$1" "$3"; passed=$(( passed + 1 ))
        else
            printf '  FAIL %s: expected "%s", got "%s"\n' "$1" "$2" "$3"; failed=$(( failed + 1 ))
        fi
    }
    printf 'SIFT_TEST_POSTGRES=%s\n' "${SIFT_TEST_POSTGRES:-<unset>}"
    printf 'SIFT_TEST_REDIS=%s\n' "${SIFT_TEST_REDIS:-<unset>}"
    printf 'SIFT_TEST_IMAP=%s\n' "${SIFT_TEST_IMAP:-<unset>}"

    if [[ -n "${SIFT_TEST_POSTGRES:-}" ]]; then
        local psql=(svc_psql -A -t)
        out="$("${psql[@]}" -c 'select 1+1' 2>&1 || true)";             check "psql select" "2" "$out"
        out="$("${psql[@]}" -c 'show max_connections' 2>&1 || true)";  check "max_connections" "200" "$out"
        out="$("${psql[@]}" -c 'show fsync' 2>&1 || true)";            check "fsync" "on" "$out"
        out="$("${psql[@]}" -c 'show listen_addresses' 2>&1 || true)"; check "listen_addresses" "127.0.0.1" "$out"
        out="$("${psql[@]}" -c "create table t(x int); insert into t values (42); select x from t; drop table t" 2>&1 | sed -n 3p || true)"
        check "psql write/read" "42" "$out"
    else
        check "postgres started" "yes" "no"
    fi

    if [[ -n "${SIFT_TEST_REDIS:-}" ]]; then
        local rc=(redis-cli -h 127.0.0.1 -p "$SVC_REDIS_PORT")
        out="$("${rc[@]}" ping 2>&1 || true)";                          check "redis ping" "PONG" "$out"
        out="$("${rc[@]}" set sift:probe hello 2>&1 || true)";          check "redis set" "OK" "$out"
        out="$("${rc[@]}" get sift:probe 2>&1 || true)";                check "redis get" "hello" "$out"
        out="$("${rc[@]}" config get save 2>&1 | sed -n 2p || true)";   check "redis save disabled" "" "$out"
    else
        check "redis started" "yes" "no"
    fi

    if [[ -n "${SIFT_TEST_IMAP:-}" ]]; then
        out="$(_svc_dovecot_greeting "$SVC_DOVECOT_PORT")"
        [[ "$out" == *"Dovecot"*"ready"* ]] && out=greeting
        check "dovecot greeting" "greeting" "$out"
    else
        check "dovecot started" "yes" "no"
    fi

    svc_cleanup
    # Confirm that the stop really stopped them.
    if [[ -n "$SVC_PG_PORT" ]]; then
        out="$("$SVC_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$SVC_PG_PORT" && echo up || echo down)"
        check "postgres stopped" "down" "$out"
    fi
    if [[ -n "$SVC_REDIS_PORT" ]]; then
        out="$(redis-cli -h 127.0.0.1 -p "$SVC_REDIS_PORT" ping 2>/dev/null || echo down)"
        check "redis stopped" "down" "$out"
    fi
    if [[ -n "$SVC_DOVECOT_PORT" ]]; then
        out="$([[ -n "$(_svc_dovecot_greeting "$SVC_DOVECOT_PORT")" ]] && echo up || echo down)"
        check "dovecot stopped" "down" "$out"
    fi
    out="$([[ -e "$SVC_WORK_DIR" ]] && echo present || echo removed)"
    check "temp dir removed" "removed" "$out"

    summary_line "$passed" "$failed" 0
    (( failed == 0 ))
}

# --- build and test -------------------------------------------------------------------
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
FAILED_NAMES=()
LAST_TRX_FAILED=0

xml_unescape() {
    sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

# Reads the integer attribute $2 of the <Counters .../> element of TRX file $1.
trx_counter() {
    local v
    v="$(grep -o '<Counters [^>]*>' "$1" | head -n 1 | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9][0-9]*' || true)"
    echo "${v:-0}"
}

# Adds one TRX file's counts to the totals and collects the failed test names;
# leaves that file's failure count in LAST_TRX_FAILED.
# VSTest's TRX logger leaves notExecuted="0" for xunit skips (seen with xunit.v3 3.2 +
# xunit.runner.visualstudio 3.1.5), so skips are also counted from the per-test
# outcome="NotExecuted" results and the larger of the two is used.
collect_trx() {
    local trx="$1" project="$2"
    local passed failed skipped skipped_results name
    passed="$(trx_counter "$trx" passed)"
    failed=$(( $(trx_counter "$trx" failed) + $(trx_counter "$trx" error) \
             + $(trx_counter "$trx" timeout) + $(trx_counter "$trx" aborted) ))
    skipped="$(trx_counter "$trx" notExecuted)"
    skipped_results="$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$trx" | wc -l || true)"
    (( skipped_results > skipped )) && skipped=$skipped_results

    TOTAL_PASSED=$(( TOTAL_PASSED + passed ))
    TOTAL_FAILED=$(( TOTAL_FAILED + failed ))
    TOTAL_SKIPPED=$(( TOTAL_SKIPPED + skipped ))
    log "$project: $passed passed, $failed failed, $skipped skipped"

    while IFS= read -r name; do
        [[ -n "$name" ]] && FAILED_NAMES+=("$project: $name")
    done < <(grep -oE '<UnitTestResult [^>]*outcome="(Failed|Error|Timeout|Aborted)"[^>]*>' "$trx" \
                | sed -n 's/.* testName="\([^"]*\)".*/\1/p' | xml_unescape)
    LAST_TRX_FAILED=$failed
}

build_solution() {
    local build_log="$SVC_WORK_DIR/build.log"
    log "dotnet build Sift.sln -c Release -warnaserror"
    # --disable-build-servers: no compiler server/MSBuild node outlives the script.
    if dotnet build "$REPO_ROOT/Sift.sln" -c Release -warnaserror --disable-build-servers 2>&1 \
            | tee "$build_log"; then
        return 0
    fi
    warn "BUILD FAILED. Errors:"
    { grep -E '(error|Error) [A-Z]*[0-9]+:|: error ' "$build_log" | sort -u || tail -n 40 "$build_log"; } >&2
    return 1
}

run_tests() {
    local results_dir="${SIFT_TEST_RESULTS_DIR:-$SVC_WORK_DIR/results}"
    mkdir -p "$results_dir"
    results_dir="$(cd "$results_dir" && pwd)"   # the TRX logger wants an absolute path
    local hang_timeout="${SIFT_TEST_HANG_TIMEOUT:-15m}"

    local projects=() proj name trx rc
    for proj in "$REPO_ROOT"/tests/*/*.csproj; do
        [[ -e "$proj" ]] && projects+=("$proj")
    done
    if (( ${#projects[@]} == 0 )); then
        warn "no test projects found under tests/"
        FAILED_NAMES+=("no test projects found")
        TOTAL_FAILED=$(( TOTAL_FAILED + 1 ))
        return
    fi

    for proj in "${projects[@]}"; do
        name="$(basename "$proj" .csproj)"
        trx="$results_dir/$name.trx"
        rm -f "$trx"
        log "dotnet test $name"
        rc=0
        dotnet test "$proj" -c Release --no-build \
            --logger "trx;LogFileName=$trx" \
            --blame-hang-timeout "$hang_timeout" --blame-hang-dump-type none \
            </dev/null || rc=$?

        if [[ ! -s "$trx" ]]; then
            warn "$name: no TRX results written (dotnet test exit code $rc)"
            FAILED_NAMES+=("$name: test run produced no results (exit code $rc)")
            TOTAL_FAILED=$(( TOTAL_FAILED + 1 ))
            continue
        fi
        collect_trx "$trx" "$name"
        # A crashed or aborted test host can exit non-zero with no failed test recorded.
        if (( rc != 0 && LAST_TRX_FAILED == 0 )); then
            warn "$name: dotnet test exited with $rc but its TRX records no failure"
            FAILED_NAMES+=("$name: dotnet test exited with code $rc (test host crash/abort?)")
            TOTAL_FAILED=$(( TOTAL_FAILED + 1 ))
        fi
    done
    if [[ -n "${SIFT_TEST_RESULTS_DIR:-}" ]]; then
        log "TRX files kept in $results_dir"
    fi
}

print_failures() {
    (( ${#FAILED_NAMES[@]} )) || return 0
    echo
    echo "Failed tests:"
    local n
    for n in "${FAILED_NAMES[@]}"; do
        printf '  - %s\n' "$n"
    done
}

# --- main -----------------------------------------------------------------------------
main() {
    cd "$REPO_ROOT"
    svc_make_work_dir sift-test

    install_prerequisites
    if ! start_servers; then
        svc_cleanup
        summary_line 0 1 0
        exit 1
    fi

    if [[ "${SIFT_TEST_SERVERS_ONLY:-}" == "1" ]]; then
        local rc=0
        check_servers || rc=$?
        exit "$rc"
    fi

    if ! build_solution; then
        svc_cleanup
        echo
        echo "Failed: build of Sift.sln (see errors above)"
        summary_line 0 1 0
        exit 1
    fi

    run_tests
    print_failures

    # Stop servers and delete the temp dir *before* the summary so it is the last line.
    svc_cleanup
    if (( TOTAL_PASSED == 0 )); then
        warn "no test passed: a run with no passing test counts as a failure"
    fi
    echo
    summary_line "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
    if (( TOTAL_FAILED == 0 && TOTAL_PASSED > 0 )); then
        exit 0
    fi
    exit 1
}

main "$@"

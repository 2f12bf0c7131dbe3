#!/usr/bin/env bash
# Sift test runner: one entry point for developers and CI.
#
#   ./test.sh                          build + run every test project
#   SIFT_TEST_SERVERS_ONLY=1 ./test.sh start PostgreSQL and Redis, check them, stop
#
# What it does, in order:
#   1. installs what is missing (redis-server; PostgreSQL only if absent),
#   2. starts a throwaway PostgreSQL and Redis on free loopback ports, in a temp dir,
#   3. exports SIFT_TEST_POSTGRES / SIFT_TEST_REDIS for the tests,
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
readonly PORT_ATTEMPTS=5   # retries if another process grabs the port between check and bind

# A lingering MSBuild node or compiler server would inherit our stdout and keep the CI
# log pipe open after the script ends; the dotnet CLI banners are just noise.
export MSBUILDDISABLENODEREUSE=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- state shared with cleanup ----------------------------------------------------
WORK_DIR=""          # everything we create lives here (mktemp -d)
PG_BIN=""            # directory holding initdb/pg_ctl/psql/pg_isready
PG_DATA=""           # set once initdb succeeded
PG_STARTED=0
PG_PORT=""
REDIS_STARTED=0
REDIS_PORT=""
REDIS_PIDFILE=""
APT_UPDATED=0
POLICY_RC_CREATED=0  # 1 if we created /usr/sbin/policy-rc.d and must remove it
CLEANED_UP=0

# --- small helpers ------------------------------------------------------------------
log()  { printf '==> %s\n' "$*"; }
warn() { printf 'test.sh: %s\n' "$*" >&2; }

is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

is_root() { [[ "$(id -u)" == "0" ]]; }

# The final line every run ends with (CI reads it).
summary_line() { printf '%d passed, %d failed, %d skipped\n' "$1" "$2" "$3"; }

# True if something listens on 127.0.0.1:$1 (or on any address for that port).
port_in_use() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]] && return 0
    fi
    # Fallback/extra check: a successful connect means it is taken.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Prints the first port >= $1 that nothing listens on.
find_free_port() {
    local port="$1" limit=$(( $1 + 200 ))
    while (( port < limit )); do
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
        port=$(( port + 1 ))
    done
    return 1
}

# PostgreSQL refuses to run as root, so its tools run as the postgres OS user.
# cd into the work dir first: postgres may not be allowed into the caller's cwd.
as_postgres() {
    if is_root; then
        (cd "$WORK_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$WORK_DIR" && "$@")
    fi
}

# --- cleanup (trap EXIT) ------------------------------------------------------------
# Stops only the servers this run started, removes the temp dir. Silent on success so
# nothing is printed after the summary line; idempotent so the explicit call before the
# summary and the EXIT trap do not clash.
cleanup() {
    (( CLEANED_UP )) && return 0
    CLEANED_UP=1
    set +e

    if (( REDIS_STARTED )); then
        stop_redis
    fi
    if (( PG_STARTED )) && [[ -n "$PG_DATA" ]]; then
        # -D pins it to our own data dir, so this can never stop another cluster.
        if ! as_postgres "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >/dev/null 2>&1; then
            as_postgres "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -t 30 >/dev/null 2>&1 \
                || warn "could not stop PostgreSQL (data dir $PG_DATA)"
        fi
        PG_STARTED=0
    fi
    if (( POLICY_RC_CREATED )); then
        rm -f /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=0
    fi
    if [[ -n "$WORK_DIR" && -d "$WORK_DIR" ]]; then
        rm -rf -- "$WORK_DIR"
    fi
    set -e
}

# shellcheck disable=SC2317  # invoked from the trap
on_exit() {
    local rc=$?
    cleanup >/dev/null 2>&1
    exit "$rc"
}
trap on_exit EXIT
# Turn Ctrl-C / kill into a normal exit so the EXIT trap cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- installing -----------------------------------------------------------------------
apt_install() {
    if ! is_root; then
        warn "need to install $* but not running as root; skipping"
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Keep package postinst scripts from starting system-wide services (a stock
    # redis-server on 6379, a "main" PostgreSQL cluster on 5432): we start our own,
    # and must not leave servers behind. Only done if no policy is already in place.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    local ok=0
    if (( ! APT_UPDATED )); then
        log "apt-get update"
        apt-get update -q </dev/null || ok=1
        APT_UPDATED=1
    fi
    if (( ok == 0 )); then
        log "apt-get install $*"
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" </dev/null || ok=1
    fi
    if (( POLICY_RC_CREATED )); then
        rm -f /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=0
    fi
    return "$ok"
}

# Finds PostgreSQL's server binaries; Debian keeps them off PATH under
# /usr/lib/postgresql/<ver>/bin (this image also links initdb/pg_ctl into /usr/local/bin).
locate_pg_bin() {
    local initdb_path dir
    if initdb_path="$(command -v initdb 2>/dev/null)"; then
        dir="$(dirname "$(readlink -f "$initdb_path")")"
        if [[ -x "$dir/pg_ctl" ]]; then
            PG_BIN="$dir"
            return 0
        fi
    fi
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        PG_BIN="$dir"
        return 0
    fi
    return 1
}

# Installs redis-server (and PostgreSQL only if it is not there at all). Failures are
# reported, not fatal here: start_* then fail and the CI policy decides.
install_prerequisites() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli    >/dev/null 2>&1 || missing+=(redis-tools)
    locate_pg_bin || missing+=(postgresql)
    if (( ${#missing[@]} )); then
        apt_install "${missing[@]}" || warn "failed to install: ${missing[*]}"
    fi
    # Fresh install: pick up the versioned bin dir now.
    [[ -n "$PG_BIN" ]] || locate_pg_bin || true
    if is_root && ! id postgres >/dev/null 2>&1; then
        warn "no 'postgres' OS user; PostgreSQL cannot be started as root without it"
    fi
}

# --- PostgreSQL -----------------------------------------------------------------------
start_postgres() {
    if [[ -z "$PG_BIN" ]]; then
        warn "PostgreSQL binaries not found (initdb/pg_ctl)"
        return 1
    fi
    if is_root && ! id postgres >/dev/null 2>&1; then
        return 1
    fi

    local pg_root="$WORK_DIR/pg"
    PG_DATA="$pg_root/data"
    mkdir -p "$pg_root/sock"
    is_root && chown -R postgres: "$pg_root"

    # Trust auth is fine: a throwaway cluster listening on loopback only.
    if ! as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale >"$pg_root/initdb.log" 2>&1; then
        warn "PostgreSQL initdb failed:"
        tail -n 20 "$pg_root/initdb.log" >&2
        PG_DATA=""
        return 1
    fi

    # fsync etc. stay at their defaults on purpose: benchmarks run against this setup.
    # The port goes on the command line so a retry can pick another without editing this.
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- added by test.sh ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pg_root/sock'
max_connections = 200
EOF

    local attempt port=$PG_PORT_BASE
    for (( attempt = 1; attempt <= PORT_ATTEMPTS; attempt++ )); do
        port="$(find_free_port "$port")" || { warn "no free port for PostgreSQL"; return 1; }
        if as_postgres "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$pg_root/server.log" \
                -o "-p $port" -w -t 60 >/dev/null 2>&1; then
            PG_STARTED=1
            PG_PORT="$port"
            break
        fi
        # pg_ctl -w also fails on a slow start; make sure nothing of ours is left running.
        as_postgres "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w >/dev/null 2>&1 || true
        port=$(( port + 1 ))
    done
    if (( ! PG_STARTED )); then
        warn "PostgreSQL did not start; last lines of its log:"
        tail -n 20 "$pg_root/server.log" >&2 2>/dev/null || true
        return 1
    fi

    # pg_ctl -w already waited; pg_isready confirms it accepts TCP connections.
    local i
    for (( i = 0; i < 60; i++ )); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres; then
            return 0
        fi
        sleep 0.5
    done
    warn "PostgreSQL started but pg_isready never reported ready on port $PG_PORT"
    return 1
}

# --- Redis ----------------------------------------------------------------------------
# Prints the pid of the redis answering on $REDIS_PORT (from INFO), or nothing.
redis_server_pid() {
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null \
        | tr -d '\r' | sed -n 's/^process_id://p'
}

start_redis() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        warn "redis-server/redis-cli not found"
        return 1
    fi
    local redis_dir="$WORK_DIR/redis"
    mkdir -p "$redis_dir"
    REDIS_PIDFILE="$redis_dir/redis.pid"

    local attempt port=$REDIS_PORT_BASE i pid start_rc
    for (( attempt = 1; attempt <= PORT_ATTEMPTS; attempt++ )); do
        port="$(find_free_port "$port")" || { warn "no free port for Redis"; return 1; }
        REDIS_PORT="$port"
        rm -f "$REDIS_PIDFILE"
        : >"$redis_dir/redis.log"
        : >"$redis_dir/start.out"
        # Pure in-memory: no RDB snapshots, no AOF, files (if any) only in our temp dir.
        start_rc=0
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$redis_dir" --daemonize yes --pidfile "$REDIS_PIDFILE" \
            --logfile "$redis_dir/redis.log" >"$redis_dir/start.out" 2>&1 </dev/null || start_rc=$?
        if (( start_rc != 0 )); then
            break   # bad option/binary: another port will not help
        fi
        # A daemonized redis reports bind errors only in its log; poll until the server
        # that answers on the port is the one whose pid we wrote.
        for (( i = 0; i < 50; i++ )); do
            if [[ -s "$REDIS_PIDFILE" ]] && [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]]; then
                pid="$(redis_server_pid)"
                if [[ -n "$pid" && "$pid" == "$(cat "$REDIS_PIDFILE")" ]]; then
                    REDIS_STARTED=1
                    return 0
                fi
            fi
            # Lost a race for the port: try the next one right away.
            grep -q -e 'Address already in use' -e 'Could not create server TCP' \
                "$redis_dir/redis.log" 2>/dev/null && break
            sleep 0.2
        done
        port=$(( port + 1 ))
    done
    warn "Redis did not start; its output and last log lines:"
    cat "$redis_dir/start.out" >&2 2>/dev/null || true
    tail -n 20 "$redis_dir/redis.log" >&2 2>/dev/null || true
    REDIS_PORT=""
    return 1
}

stop_redis() {
    # Only shut down the server if it is still the one we started (pid matches).
    local pid expected=""
    [[ -s "$REDIS_PIDFILE" ]] && expected="$(cat "$REDIS_PIDFILE")"
    pid="$(redis_server_pid)"
    if [[ -n "$pid" && "$pid" == "$expected" ]]; then
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        local i
        for (( i = 0; i < 50; i++ )); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
    fi
    REDIS_STARTED=0
}

# --- servers: start + export ----------------------------------------------------------
# Starts both servers and exports the connection strings. Outside CI a server that
# fails is reported and its variable left unset (the tests needing it skip); in CI it
# is fatal. Returns non-zero only in the fatal case.
start_servers() {
    local fatal=0

    if start_postgres; then
        export SIFT_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Pooling=true"
        log "PostgreSQL ready on 127.0.0.1:$PG_PORT"
    else
        unset SIFT_TEST_POSTGRES
        warn "ERROR: could not start PostgreSQL; SIFT_TEST_POSTGRES is not set, tests needing it will skip"
        fatal=1
    fi

    if start_redis; then
        export SIFT_TEST_REDIS="127.0.0.1:$REDIS_PORT"
        log "Redis ready on 127.0.0.1:$REDIS_PORT"
    else
        unset SIFT_TEST_REDIS
        warn "ERROR: could not start Redis; SIFT_TEST_REDIS is not set, tests needing it will skip"
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

    if [[ -n "${SIFT_TEST_POSTGRES:-}" ]]; then
        local psql=(env -u PGPASSWORD -u PGSERVICE "$PG_BIN/psql" -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
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
        local rc=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT")
        out="$("${rc[@]}" ping 2>&1 || true)";                          check "redis ping" "PONG" "$out"
        out="$("${rc[@]}" set sift:probe hello 2>&1 || true)";          check "redis set" "OK" "$out"
        out="$("${rc[@]}" get sift:probe 2>&1 || true)";                check "redis get" "hello" "$out"
        out="$("${rc[@]}" config get save 2>&1 | sed -n 2p || true)";   check "redis save disabled" "" "$out"
    else
        check "redis started" "yes" "no"
    fi

    cleanup
    # Confirm that the stop really stopped them.
    if [[ -n "$PG_PORT" ]]; then
        out="$("$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && echo up || echo down)"
        check "postgres stopped" "down" "$out"
    fi
    if [[ -n "$REDIS_PORT" ]]; then
        out="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || echo down)"
        check "redis stopped" "down" "$out"
    fi
    out="$([[ -e "$WORK_DIR" ]] && echo present || echo removed)"
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
    local build_log="$WORK_DIR/build.log"
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
    local results_dir="${SIFT_TEST_RESULTS_DIR:-$WORK_DIR/results}"
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
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sift-test.XXXXXX")"
    # postgres (a different OS user) must be able to traverse into its sub-folder.
    chmod 755 "$WORK_DIR"

    install_prerequisites
    if ! start_servers; then
        cleanup
        summary_line 0 1 0
        exit 1
    fi

    if [[ "${SIFT_TEST_SERVERS_ONLY:-}" == "1" ]]; then
        local rc=0
        check_servers || rc=$?
        exit "$rc"
    fi

    if ! build_solution; then
        cleanup
        echo
        echo "Failed: build of Sift.sln (see errors above)"
        summary_line 0 1 0
        exit 1
    fi

    run_tests
    print_failures

    # Stop servers and delete the temp dir *before* the summary so it is the last line.
    cleanup
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

#!/usr/bin/env bash
# Sift pipeline benchmark, with pgbench on the same PostgreSQL as the yardstick.
#
#   benchmarks/run.sh
#   BENCH_SECONDS=5 BENCH_MESSAGES=500 BENCH_MAX_WARMUP_ROUNDS=0 benchmarks/run.sh     # a quick run
#
# What it does, in order:
#   1. installs what is missing (PostgreSQL only if absent; jq, else python3 reads JSON),
#   2. starts a throwaway PostgreSQL (fsync on and every other setting at its default,
#      except max_connections = 200) on a free loopback port, in a temp dir,
#   3. pgbench: creates database "pgbench", `pgbench -i -s 10`, then
#      `pgbench -N -c 1 -j 1 -T $BENCH_SECONDS` and `pgbench -N -c 8 -j 2 -T $BENCH_SECONDS`
#      (over TCP to 127.0.0.1, like the Sift harness), keeping the tps figures,
#   4. builds benchmarks/Sift.Benchmarks (Release) and runs its `pipeline` command with
#      --engine sqlite, then --engine postgres against a fresh database "sift_bench";
#      each run prints a line "RESULT {json}" that is read here,
#   5. prints a markdown table (engines, pgbench tps, postgres messages/s as a share of
#      the pgbench tps, machine facts) and, if every step succeeded, writes the same to
#      benchmarks/results/latest.md,
#   6. stops what it started and removes the temp dir (also on Ctrl-C or failure).
#
# Exit status: 0 only if every step succeeded. A failed step is reported where it
# happens and listed again under the table.
#
# Knobs (all optional):
#   BENCH_SECONDS=15          duration of each pgbench run (-T)
#   BENCH_MESSAGES=5000       messages per Sift pipeline run under load (--messages)
#   BENCH_SEQUENTIAL_MESSAGES=1000 messages per one-at-a-time run (--sequential)
#   BENCH_MAX_WARMUP_ROUNDS=40  at most this many warm-up rounds of 1,000 messages per run (0: 200 messages only)
#   BENCH_DOTNET_TIMEOUT=1800 seconds before one `dotnet run` of the harness is killed

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly BENCH_SECONDS="${BENCH_SECONDS:-15}"
readonly BENCH_MESSAGES="${BENCH_MESSAGES:-5000}"
readonly BENCH_SEQUENTIAL_MESSAGES="${BENCH_SEQUENTIAL_MESSAGES:-1000}"
readonly BENCH_MAX_WARMUP_ROUNDS="${BENCH_MAX_WARMUP_ROUNDS:-40}"
readonly BENCH_DOTNET_TIMEOUT="${BENCH_DOTNET_TIMEOUT:-1800}"
readonly PGBENCH_SCALE=10
readonly PG_PORT_BASE=55532
readonly HARNESS_DIR="benchmarks/Sift.Benchmarks"
readonly RESULTS_FILE="$REPO_ROOT/benchmarks/results/latest.md"

export MSBUILDDISABLENODEREUSE=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

SVC_NAME="benchmarks/run.sh"
# shellcheck source=SCRIPTDIR/../scripts/services.sh
source "$REPO_ROOT/scripts/services.sh"

log()  { svc_log "$@"; }
warn() { svc_warn "$@"; }

if [[ ! "$BENCH_MAX_WARMUP_ROUNDS" =~ ^[0-9]+$ ]]; then
    warn "BENCH_MAX_WARMUP_ROUNDS must be a whole number, got '$BENCH_MAX_WARMUP_ROUNDS'"
    exit 2
fi
for knob in BENCH_SECONDS BENCH_MESSAGES BENCH_DOTNET_TIMEOUT; do
    if [[ ! "${!knob}" =~ ^[1-9][0-9]*$ ]]; then
        warn "$knob must be a positive integer, got '${!knob}'"
        exit 2
    fi
done

svc_trap_cleanup

# --- results --------------------------------------------------------------------------
FAILED_STEPS=()
fail_step() {  # fail_step "what failed"
    FAILED_STEPS+=("$1")
    warn "FAILED: $1"
}

TPS_C1=""
TPS_C8=""
declare -A RESULT=()       # RESULT[engine.field] from the harness' RESULT json
declare -A ENGINE_ERROR=() # why an engine has no result

JSON_TOOL=""
# json_field JSON FIELD: prints the field's value, nothing if absent/null.
json_field() {
    if [[ "$JSON_TOOL" == jq ]]; then
        jq -r --arg f "$2" '.[$f] // empty' <<<"$1"
    else
        python3 -c 'import json,sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print("" if v is None else v)' "$1" "$2"
    fi
}

# --- steps ----------------------------------------------------------------------------
PGBENCH=""
locate_pgbench() {
    local p
    for p in "$(command -v pgbench 2>/dev/null || true)" "$SVC_PG_BIN/pgbench" \
             /usr/lib/postgresql/15/bin/pgbench; do
        if [[ -n "$p" && -x "$p" ]]; then
            PGBENCH="$p"
            return 0
        fi
    done
    return 1
}

run_pgbench() {  # run_pgbench ARGS... (against our server, as user postgres, over TCP)
    env -u PGPASSWORD -u PGSERVICE -u PGDATABASE \
        "$PGBENCH" -h 127.0.0.1 -p "$SVC_PG_PORT" -U postgres "$@"
}

# Runs one measured pgbench; prints its summary and stores the tps in variable $1.
pgbench_measure() {
    local var="$1" label="$2"
    shift 2
    local out="$SVC_WORK_DIR/pgbench-$var.log" tps
    log "pgbench $* pgbench"
    svc_psql -q -c 'checkpoint' >/dev/null 2>&1 || true   # start each run from a clean slate
    if ! run_pgbench "$@" pgbench >"$out" 2>&1; then
        sed 's/^/    /' "$out"
        fail_step "pgbench $label"
        return 1
    fi
    sed 's/^/    /' "$out"
    tps="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$out")"
    if [[ -z "$tps" ]]; then
        fail_step "pgbench $label: no 'tps = X (without initial connection time)' line in its output"
        return 1
    fi
    printf -v "$var" '%s' "$tps"
}

step_pgbench() {
    if ! locate_pgbench; then
        fail_step "pgbench not found (PATH, $SVC_PG_BIN, /usr/lib/postgresql/15/bin)"
        return 1
    fi
    log "creating database pgbench"
    if ! svc_psql -q -c 'create database pgbench' >/dev/null; then
        fail_step "create database pgbench"
        return 1
    fi
    local init_log="$SVC_WORK_DIR/pgbench-init.log"
    log "pgbench -i -s $PGBENCH_SCALE pgbench"
    if ! run_pgbench -i -s "$PGBENCH_SCALE" pgbench >"$init_log" 2>&1; then
        tail -n 20 "$init_log" >&2
        fail_step "pgbench -i -s $PGBENCH_SCALE"
        return 1
    fi
    tail -n 1 "$init_log" | sed 's/^/    /'
    pgbench_measure TPS_C1 "-N -c 1" -N -c 1 -j 1 -T "$BENCH_SECONDS" || true
    pgbench_measure TPS_C8 "-N -c 8" -N -c 8 -j 2 -T "$BENCH_SECONDS" || true
}

build_harness() {
    if ! command -v dotnet >/dev/null 2>&1; then
        ENGINE_ERROR[sqlite]="dotnet not found"; ENGINE_ERROR[postgres]="dotnet not found"
        fail_step "Sift harness: dotnet is not on PATH"
        return 1
    fi
    if ! compgen -G "$REPO_ROOT/$HARNESS_DIR/*.csproj" >/dev/null; then
        ENGINE_ERROR[sqlite]="harness missing"; ENGINE_ERROR[postgres]="harness missing"
        fail_step "Sift harness: no project in $HARNESS_DIR"
        return 1
    fi
    local build_log="$SVC_WORK_DIR/harness-build.log"
    log "dotnet build $HARNESS_DIR -c Release"
    if ! (cd "$REPO_ROOT" && dotnet build "$HARNESS_DIR" -c Release --disable-build-servers \
            </dev/null >"$build_log" 2>&1); then
        warn "harness build failed; errors:"
        { grep -E '(error|Error) [A-Z]*[0-9]+:|: error ' "$build_log" | sort -u || tail -n 40 "$build_log"; } >&2
        ENGINE_ERROR[sqlite]="harness build failed"; ENGINE_ERROR[postgres]="harness build failed"
        fail_step "Sift harness: build of $HARNESS_DIR failed (does it exist yet?)"
        return 1
    fi
}

# run_engine KEY ENGINE MESSAGES [EXTRA_ARGS...]: one `pipeline` run; stores its RESULT fields under KEY.
run_engine() {
    local key="$1" engine="$2" messages="$3"
    shift 3
    local out="$SVC_WORK_DIR/harness-$key.log" rc=0 line json field value
    local fields=(messages seconds messagesPerSecond ownMsP50 ownMsP95 withTransportMsP50 withTransportMsP95 episodeMsP50
                  episodeMsP95 ingestMsP50 ingestMsP95 commitsPerMessage cpuMsPerMessage warmUpMessages warmUpSeconds)
    # The server's pending checkpoint (pgbench, or the previous run, dirtied its buffers) would otherwise write them
    # out during this run, slowing every fsync on the disk, SQLite's too: each run starts from a clean slate.
    svc_psql -q -c 'checkpoint' >/dev/null 2>&1 || true
    log "dotnet run -c Release --project $HARNESS_DIR -- pipeline --engine $engine --messages $messages $*"
    # Its own TMPDIR inside our temp dir, so whatever it leaves behind is removed with it.
    mkdir -p "$SVC_WORK_DIR/tmp-$key"
    # Shown as it runs (indented) and kept in $out; the exit code goes through a file.
    {
        rc=0
        (cd "$REPO_ROOT" && TMPDIR="$SVC_WORK_DIR/tmp-$key" timeout -k 10 "$BENCH_DOTNET_TIMEOUT" \
            dotnet run --no-build -c Release --project "$HARNESS_DIR" -- \
            pipeline --engine "$engine" --messages "$messages" --max-warmup-rounds "$BENCH_MAX_WARMUP_ROUNDS" "$@" </dev/null 2>&1) || rc=$?
        echo "$rc" >"$out.rc"
    } | tee "$out" | sed 's/^/    /'
    rc="$(cat "$out.rc" 2>/dev/null || echo 1)"
    if (( rc != 0 )); then
        (( rc == 124 )) && warn "harness ($engine) timed out after ${BENCH_DOTNET_TIMEOUT}s"
        ENGINE_ERROR[$key]="harness exited with $rc"
        fail_step "Sift harness --engine $engine: exit code $rc"
        return 1
    fi
    line="$(grep '^RESULT ' "$out" | tail -n 1 || true)"
    if [[ -z "$line" ]]; then
        ENGINE_ERROR[$key]="no RESULT line"
        fail_step "Sift harness --engine $engine: no 'RESULT {json}' line in its output"
        return 1
    fi
    json="${line#RESULT }"
    if ! value="$(json_field "$json" engine 2>&1)"; then
        ENGINE_ERROR[$key]="bad RESULT json"
        fail_step "Sift harness --engine $engine: RESULT is not valid JSON: $json"
        return 1
    fi
    if [[ "$value" != "$engine" ]]; then
        ENGINE_ERROR[$key]="RESULT for wrong engine"
        fail_step "Sift harness --engine $engine: RESULT reports engine '$value'"
        return 1
    fi
    for field in "${fields[@]}"; do
        value="$(json_field "$json" "$field")"
        if [[ ! "$value" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
            ENGINE_ERROR[$key]="RESULT lacks $field"
            fail_step "Sift harness --engine $engine: RESULT field '$field' missing or not a number ('$value')"
            return 1
        fi
        RESULT[$key.$field]="$value"
    done
    RESULT[$key.steadyState]="$(json_field "$json" steadyState)"
}

step_harness() {
    build_harness || return 1
    run_engine sqlite sqlite "$BENCH_MESSAGES" || true
    run_engine sqlite-seq sqlite "$BENCH_SEQUENTIAL_MESSAGES" --sequential || true
    log "creating database sift_bench"
    if ! svc_psql -q -c 'create database sift_bench' >/dev/null; then
        ENGINE_ERROR[postgres]="create database failed"
        fail_step "create database sift_bench"
        return 1
    fi
    local cs="Host=127.0.0.1;Port=$SVC_PG_PORT;Username=postgres;Database=sift_bench;Pooling=true"
    run_engine postgres postgres "$BENCH_MESSAGES" --postgres "$cs" || true
    run_engine postgres-seq postgres "$BENCH_SEQUENTIAL_MESSAGES" --postgres "$cs" --sequential || true
}

# --- report ---------------------------------------------------------------------------
fmt() {  # fmt DECIMALS NUMBER
    awk -v d="$1" -v n="$2" 'BEGIN { printf "%.*f", d, n }'
}
pct() {  # pct PART WHOLE -> "12.3 %"
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f %%", 100 * a / b; else printf "n/a" }'
}

engine_row() {  # engine_row KEY LABEL
    local e="$1" label="$2"
    if [[ -n "${RESULT[$e.messagesPerSecond]:-}" ]]; then
        printf '| %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s | %s |\n' "$label" \
            "$(fmt 0 "${RESULT[$e.messages]}")" \
            "$(fmt 1 "${RESULT[$e.messagesPerSecond]}")" \
            "$(fmt 2 "${RESULT[$e.ownMsP50]}")" "$(fmt 2 "${RESULT[$e.ownMsP95]}")" \
            "$(fmt 2 "${RESULT[$e.withTransportMsP50]}")" "$(fmt 2 "${RESULT[$e.withTransportMsP95]}")" \
            "$(fmt 2 "${RESULT[$e.episodeMsP50]}")" "$(fmt 2 "${RESULT[$e.episodeMsP95]}")" \
            "$(fmt 2 "${RESULT[$e.cpuMsPerMessage]}")" \
            "$(fmt 2 "${RESULT[$e.commitsPerMessage]}")" \
            "$(fmt 0 "${RESULT[$e.warmUpMessages]}") in $(fmt 0 "${RESULT[$e.warmUpSeconds]}") s$([[ "${RESULT[$e.steadyState]}" == true ]] || echo ', JIT still busy')"
    else
        printf '| %s | FAILED (%s) | – | – | – | – | – | – | – |\n' "$label" "${ENGINE_ERROR[$e]:-not run}"
    fi
}

# shellcheck disable=SC2016  # the backquotes are markdown
pgbench_row() {
    local label="$1" tps="$2" pg_mps="${RESULT[postgres.messagesPerSecond]:-}" ratio
    if [[ -z "$tps" ]]; then
        printf '| `%s` | FAILED | – |\n' "$label"
        return
    fi
    ratio="n/a"
    [[ -n "$pg_mps" ]] && ratio="$(pct "$pg_mps" "$tps")"
    printf '| `%s` | %s | %s |\n' "$label" "$(fmt 1 "$tps")" "$ratio"
}

report() {
    local model kernel cores when pg_version dotnet_version commit
    cores="$(nproc)"
    model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    kernel="$(uname -r)"
    when="$(date -u '+%Y-%m-%d %H:%M UTC')"
    pg_version="$("$SVC_PG_BIN/postgres" --version 2>/dev/null | sed 's/^postgres (PostgreSQL) //' || true)"
    dotnet_version="$(dotnet --version 2>/dev/null || echo n/a)"
    commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo n/a)"
    if [[ "$commit" != n/a ]] && [[ -n "$(git -C "$REPO_ROOT" status --porcelain 2>/dev/null)" ]]; then
        commit="$commit (with uncommitted changes)"
    fi

    cat <<EOF
# Sift pipeline benchmark

Under load: 4 clients post as fast as Sift accepts (8 workflow instances at once). One at a time: each message is
posted after the previous one settled, so its time has no queueing in it. Sift's own time per message = its ingest
request + its workflow episodes + its share of the claims, less the time in the mail transport (the dry-run outbox
here, which stands in for Graph, Gmail or SMTP; the classifier is local, so nothing else is waited on). The column
"with the transport" keeps the outbox's time in (it writes and fsyncs one .eml per auto-send). CPU is the benchmark process's (Sift and, for SQLite, the database engine).
Each run first warms the host up to its steady state: rounds of 1,000 messages under load until the JIT compiled fewer
than 50 methods in two rounds in a row (the last column; the harness prints every round).
PostgreSQL ${pg_version:-?} (fsync on, defaults except max_connections = 200), local TCP.

| run | messages | messages/s | Sift own time p50 / p95 (ms) | with the transport p50 / p95 (ms) | workflow episodes p50 / p95 (ms) | CPU ms per message | commits per message | warm-up before it (messages) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(engine_row sqlite "SQLite, under load")
$(engine_row postgres "PostgreSQL, under load")
$(engine_row sqlite-seq "SQLite, one at a time")
$(engine_row postgres-seq "PostgreSQL, one at a time")

pgbench on the same server (scale $PGBENCH_SCALE, ${BENCH_SECONDS} s each, TCP to 127.0.0.1):

| pgbench | tps (without initial connection time) | postgres messages/s as % of it |
| --- | --- | --- |
$(pgbench_row "pgbench -N -c 1 -j 1" "$TPS_C1")
$(pgbench_row "pgbench -N -c 8 -j 2" "$TPS_C8")

Machine: nproc $cores, ${model:-unknown CPU}, kernel $kernel; .NET SDK $dotnet_version; commit $commit; $when.
EOF
}

# --- main -----------------------------------------------------------------------------
main() {
    cd "$REPO_ROOT"
    svc_make_work_dir sift-bench

    svc_install_missing postgres jq:jq || true
    if command -v jq >/dev/null 2>&1; then
        JSON_TOOL=jq
    elif command -v python3 >/dev/null 2>&1; then
        JSON_TOOL=python3
    else
        warn "neither jq nor python3 is available to read the harness' RESULT json"
        exit 1
    fi

    log "starting PostgreSQL (fsync on, max_connections = 200)"
    if ! svc_pg_start "$PG_PORT_BASE" 'max_connections = 200'; then
        warn "FAILED: could not start PostgreSQL; nothing to benchmark"
        exit 1
    fi
    log "PostgreSQL ready on 127.0.0.1:$SVC_PG_PORT ($(svc_psql -A -t -c 'show fsync' 2>/dev/null | sed 's/^/fsync=/'))"

    step_pgbench || true
    step_harness || true

    local table
    table="$(report)"
    svc_cleanup
    echo
    printf '%s\n' "$table"
    echo
    if (( ${#FAILED_STEPS[@]} )); then
        echo "Failed steps (benchmarks/results/latest.md NOT written):"
        local s
        for s in "${FAILED_STEPS[@]}"; do
            printf '  - %s\n' "$s"
        done
        exit 1
    fi
    mkdir -p "$(dirname "$RESULTS_FILE")"
    printf '%s\n' "$table" >"$RESULTS_FILE"
    echo "Written to ${RESULTS_FILE#"$REPO_ROOT"/}"
}

main "$@"

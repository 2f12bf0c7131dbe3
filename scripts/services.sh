# shellcheck shell=bash
# scripts/services.sh: throwaway PostgreSQL, Redis and Dovecot (IMAP) servers for scripts (test.sh,
# benchmarks/run.sh). A library: `source` it, do not run it.
#
#   source "$REPO_ROOT/scripts/services.sh"
#   SVC_NAME=my-script                   # prefix of warnings (default: basename of $0)
#   svc_trap_cleanup                     # optional: svc_cleanup on exit, Ctrl-C and kill
#   svc_make_work_dir my-script          # -> SVC_WORK_DIR (mktemp -d, removed by svc_cleanup)
#   svc_install_missing postgres redis-server:redis-server redis-cli:redis-tools
#   svc_pg_start 55432 'max_connections = 200'   # -> SVC_PG_PORT, SVC_PG_BIN, SVC_PG_DATA
#   svc_redis_start 56379                         # -> SVC_REDIS_PORT
#   svc_dovecot_start 57143 support sales         # -> SVC_DOVECOT_PORT (password: secret)
#   export MY_PG="Host=127.0.0.1;Port=$SVC_PG_PORT;Username=postgres"   # caller's choice
#   ...
#   svc_cleanup                          # stops only what this process started
#
# The library exports nothing and sets no shell options; it sets traps only when the caller
# asks with svc_trap_cleanup. The caller decides which variables to export. It works under `set -euo pipefail`.
#
# Functions (all return non-zero on failure and say why on stderr):
#   svc_log MSG / svc_warn MSG      "==> MSG" on stdout / "$SVC_NAME: MSG" on stderr
#   svc_is_root
#   svc_port_in_use PORT            true if something listens on PORT
#   svc_find_free_port BASE         prints the first free port in [BASE, BASE+200)
#   svc_make_work_dir [PREFIX]      creates SVC_WORK_DIR (mode 755 so postgres can enter)
#   svc_apt_install PKG...          apt-get install, without starting system services
#   svc_locate_pg_bin               sets SVC_PG_BIN (dir of initdb/pg_ctl/psql/...)
#   svc_install_missing ITEM...     ITEM is "postgres" (server binaries) or CMD:PACKAGE
#                                   (install PACKAGE if CMD is not on PATH); one apt run
#   svc_as_postgres CMD...          runs CMD as the postgres OS user when we are root
#   svc_pg_start BASE_PORT [CONF_LINE...]
#                                   initdb + start on the first free port >= BASE_PORT,
#                                   loopback only, trust auth, socket in the work dir;
#                                   CONF_LINEs are appended to postgresql.conf (all
#                                   other settings, fsync included, stay at defaults)
#   svc_psql [PSQL_ARGS...]         psql -X to our server over TCP as user postgres
#   svc_pg_stop
#   svc_redis_start BASE_PORT       in-memory redis (no RDB/AOF) on a free port
#   svc_redis_stop                  stops it only if the pid still matches ours
#   svc_dovecot_start BASE_PORT [USER...]
#                                   Dovecot IMAP on a free port >= BASE_PORT, loopback
#                                   only, plaintext auth (no TLS), Maildir, config and a
#                                   passwd-file in the work dir; USERs (default support,
#                                   sales) all have the password $SVC_DOVECOT_PASSWORD
#   svc_dovecot_stop                stops the master by the pid we started, waits for it
#   svc_cleanup                     stops what was started, removes SVC_WORK_DIR if
#                                   svc_make_work_dir created it; idempotent, silent
#
# State (read it, do not set it, except the knobs marked "knob"):
#   SVC_NAME (knob)  SVC_PORT_ATTEMPTS (knob, default 5)  SVC_WORK_DIR
#   SVC_PG_BIN SVC_PG_DATA SVC_PG_PORT SVC_PG_STARTED
#   SVC_REDIS_PORT SVC_REDIS_PIDFILE SVC_REDIS_STARTED
#   SVC_DOVECOT_PORT SVC_DOVECOT_DIR SVC_DOVECOT_PID SVC_DOVECOT_STARTED
#   SVC_DOVECOT_PASSWORD (knob, default secret)
# SVC_PG_PORT / SVC_REDIS_PORT / SVC_DOVECOT_PORT stay set after a stop, so a caller can check that the
# server is really gone.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "scripts/services.sh is a library: source it from a bash script" >&2
    exit 2
fi

[[ -n "${SVC_LIB_LOADED:-}" ]] && return 0
SVC_LIB_LOADED=1

# --- state ----------------------------------------------------------------------------
SVC_NAME="${SVC_NAME:-$(basename "$0")}"
SVC_PORT_ATTEMPTS="${SVC_PORT_ATTEMPTS:-5}"   # retries if another process grabs the port between check and bind
SVC_WORK_DIR="${SVC_WORK_DIR:-}"
SVC_WORK_DIR_CREATED=0
SVC_PG_BIN=""          # directory holding initdb/pg_ctl/psql/pg_isready
SVC_PG_DATA=""         # set once initdb succeeded
SVC_PG_PORT=""
SVC_PG_STARTED=0
SVC_REDIS_PORT=""
SVC_REDIS_PIDFILE=""
SVC_REDIS_STARTED=0
SVC_DOVECOT_PORT=""
SVC_DOVECOT_DIR=""
SVC_DOVECOT_PID=""
SVC_DOVECOT_STARTED=0
SVC_DOVECOT_PASSWORD="${SVC_DOVECOT_PASSWORD:-secret}"
SVC_APT_UPDATED=0
SVC_POLICY_RC_CREATED=0   # 1 while we own /usr/sbin/policy-rc.d and must remove it

# --- small helpers --------------------------------------------------------------------
# Cleans up on every way out: EXIT runs svc_cleanup quietly and keeps the exit code; Ctrl-C
# and kill become normal exits so that the EXIT trap runs.
svc_trap_cleanup() {
    trap _svc_on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # invoked from the trap
_svc_on_exit() {
    local rc=$?
    svc_cleanup >/dev/null 2>&1
    exit "$rc"
}

svc_log()  { printf '==> %s\n' "$*"; }
svc_warn() { printf '%s: %s\n' "$SVC_NAME" "$*" >&2; }

svc_is_root() { [[ "$(id -u)" == "0" ]]; }

# True if something listens on 127.0.0.1:$1 (or on any address for that port).
svc_port_in_use() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]] && return 0
    fi
    # Fallback/extra check: a successful connect means it is taken.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Prints the first port >= $1 that nothing listens on.
svc_find_free_port() {
    local port="$1" limit=$(( $1 + 200 ))
    while (( port < limit )); do
        if ! svc_port_in_use "$port"; then
            echo "$port"
            return 0
        fi
        port=$(( port + 1 ))
    done
    return 1
}

# Creates the temp dir everything else lives in; svc_cleanup removes it.
svc_make_work_dir() {
    local prefix="${1:-svc}"
    SVC_WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")" || return 1
    SVC_WORK_DIR_CREATED=1
    # postgres (a different OS user) must be able to traverse into its sub-folder.
    chmod 755 "$SVC_WORK_DIR"
}

# PostgreSQL refuses to run as root, so its tools run as the postgres OS user.
# cd into the work dir first: postgres may not be allowed into the caller's cwd.
svc_as_postgres() {
    local dir="${SVC_WORK_DIR:-/}"
    if svc_is_root; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# --- installing -----------------------------------------------------------------------
svc_apt_install() {
    if ! svc_is_root; then
        svc_warn "need to install $* but not running as root; skipping"
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Keep package postinst scripts from starting system-wide services (a stock
    # redis-server on 6379, a "main" PostgreSQL cluster on 5432): we start our own,
    # and must not leave servers behind. Only done if no policy is already in place.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        SVC_POLICY_RC_CREATED=1
    fi
    local ok=0
    if (( ! SVC_APT_UPDATED )); then
        svc_log "apt-get update"
        apt-get update -q </dev/null || ok=1
        SVC_APT_UPDATED=1
    fi
    if (( ok == 0 )); then
        svc_log "apt-get install $*"
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" </dev/null || ok=1
    fi
    if (( SVC_POLICY_RC_CREATED )); then
        rm -f /usr/sbin/policy-rc.d
        SVC_POLICY_RC_CREATED=0
    fi
    return "$ok"
}

# Finds PostgreSQL's server binaries; Debian keeps them off PATH under
# /usr/lib/postgresql/<ver>/bin (some images also link initdb/pg_ctl into /usr/local/bin).
svc_locate_pg_bin() {
    local initdb_path dir
    if initdb_path="$(command -v initdb 2>/dev/null)"; then
        dir="$(dirname "$(readlink -f "$initdb_path")")"
        if [[ -x "$dir/pg_ctl" ]]; then
            SVC_PG_BIN="$dir"
            return 0
        fi
    fi
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        SVC_PG_BIN="$dir"
        return 0
    fi
    return 1
}

# svc_install_missing ITEM...: ITEM "postgres" installs the postgresql package only if
# no server binaries are found at all; ITEM "CMD:PACKAGE" installs PACKAGE if CMD is not
# on PATH. Everything missing goes into one apt-get call. Returns non-zero if something
# was missing and could not be installed; callers that can live without it ignore that.
svc_install_missing() {
    local missing=() item cmd want_pg=0 rc=0
    for item in "$@"; do
        if [[ "$item" == postgres ]]; then
            want_pg=1
            svc_locate_pg_bin || missing+=(postgresql)
        else
            cmd="${item%%:*}"
            command -v "$cmd" >/dev/null 2>&1 || missing+=("${item#*:}")
        fi
    done
    if (( ${#missing[@]} )); then
        svc_apt_install "${missing[@]}" || { svc_warn "failed to install: ${missing[*]}"; rc=1; }
    fi
    if (( want_pg )); then
        # Fresh install: pick up the versioned bin dir now.
        [[ -n "$SVC_PG_BIN" ]] || svc_locate_pg_bin || rc=1
        if svc_is_root && ! id postgres >/dev/null 2>&1; then
            svc_warn "no 'postgres' OS user; PostgreSQL cannot be started as root without it"
            rc=1
        fi
    fi
    return "$rc"
}

# --- PostgreSQL -----------------------------------------------------------------------
# svc_pg_start BASE_PORT [CONF_LINE...]
svc_pg_start() {
    local base_port="$1"
    shift
    if [[ -z "$SVC_WORK_DIR" ]]; then
        svc_warn "svc_pg_start: no work dir (call svc_make_work_dir first)"
        return 1
    fi
    if [[ -z "$SVC_PG_BIN" ]]; then
        svc_locate_pg_bin || true
    fi
    if [[ -z "$SVC_PG_BIN" ]]; then
        svc_warn "PostgreSQL binaries not found (initdb/pg_ctl)"
        return 1
    fi
    if svc_is_root && ! id postgres >/dev/null 2>&1; then
        return 1
    fi

    local pg_root="$SVC_WORK_DIR/pg"
    SVC_PG_DATA="$pg_root/data"
    mkdir -p "$pg_root/sock"
    if svc_is_root; then
        chown -R postgres: "$pg_root"
    fi

    # Trust auth is fine: a throwaway cluster listening on loopback only.
    if ! svc_as_postgres "$SVC_PG_BIN/initdb" -D "$SVC_PG_DATA" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale >"$pg_root/initdb.log" 2>&1; then
        svc_warn "PostgreSQL initdb failed:"
        tail -n 20 "$pg_root/initdb.log" >&2
        SVC_PG_DATA=""
        return 1
    fi

    # Everything not given here (fsync included) stays at PostgreSQL's defaults.
    # The port goes on the command line so a retry can pick another without editing this.
    {
        printf '\n# --- added by %s ---\n' "$SVC_NAME"
        printf "listen_addresses = '127.0.0.1'\n"
        printf "unix_socket_directories = '%s'\n" "$pg_root/sock"
        local line
        for line in "$@"; do
            printf '%s\n' "$line"
        done
    } >>"$SVC_PG_DATA/postgresql.conf"

    local attempt port=$base_port
    for (( attempt = 1; attempt <= SVC_PORT_ATTEMPTS; attempt++ )); do
        port="$(svc_find_free_port "$port")" || { svc_warn "no free port for PostgreSQL"; return 1; }
        if svc_as_postgres "$SVC_PG_BIN/pg_ctl" start -D "$SVC_PG_DATA" -l "$pg_root/server.log" \
                -o "-p $port" -w -t 60 >/dev/null 2>&1; then
            SVC_PG_STARTED=1
            SVC_PG_PORT="$port"
            break
        fi
        # pg_ctl -w also fails on a slow start; make sure nothing of ours is left running.
        svc_as_postgres "$SVC_PG_BIN/pg_ctl" stop -D "$SVC_PG_DATA" -m immediate -w >/dev/null 2>&1 || true
        port=$(( port + 1 ))
    done
    if (( ! SVC_PG_STARTED )); then
        svc_warn "PostgreSQL did not start; last lines of its log:"
        tail -n 20 "$pg_root/server.log" >&2 2>/dev/null || true
        return 1
    fi

    # pg_ctl -w already waited; pg_isready confirms it accepts TCP connections.
    local i
    for (( i = 0; i < 60; i++ )); do
        if "$SVC_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$SVC_PG_PORT" -U postgres -d postgres; then
            return 0
        fi
        sleep 0.5
    done
    svc_warn "PostgreSQL started but pg_isready never reported ready on port $SVC_PG_PORT"
    return 1
}

# psql to our server over TCP as the postgres superuser, ignoring ~/.psqlrc and any
# password/service settings from the environment. Default database: postgres.
svc_psql() {
    env -u PGPASSWORD -u PGSERVICE -u PGDATABASE "$SVC_PG_BIN/psql" -X \
        -h 127.0.0.1 -p "$SVC_PG_PORT" -U postgres -d postgres "$@"
}

svc_pg_stop() {
    (( SVC_PG_STARTED )) || return 0
    [[ -n "$SVC_PG_DATA" ]] || return 0
    local rc=0
    # -D pins it to our own data dir, so this can never stop another cluster.
    if ! svc_as_postgres "$SVC_PG_BIN/pg_ctl" stop -D "$SVC_PG_DATA" -m fast -w -t 30 >/dev/null 2>&1; then
        if ! svc_as_postgres "$SVC_PG_BIN/pg_ctl" stop -D "$SVC_PG_DATA" -m immediate -w -t 30 >/dev/null 2>&1; then
            svc_warn "could not stop PostgreSQL (data dir $SVC_PG_DATA)"
            rc=1
        fi
    fi
    SVC_PG_STARTED=0
    return "$rc"
}

# --- Redis ----------------------------------------------------------------------------
# Prints the pid of the redis answering on $SVC_REDIS_PORT (from INFO), or nothing.
svc_redis_server_pid() {
    [[ -n "$SVC_REDIS_PORT" ]] || return 0
    redis-cli -h 127.0.0.1 -p "$SVC_REDIS_PORT" info server 2>/dev/null \
        | tr -d '\r' | sed -n 's/^process_id://p'
}

# svc_redis_start BASE_PORT
svc_redis_start() {
    local base_port="$1"
    if [[ -z "$SVC_WORK_DIR" ]]; then
        svc_warn "svc_redis_start: no work dir (call svc_make_work_dir first)"
        return 1
    fi
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        svc_warn "redis-server/redis-cli not found"
        return 1
    fi
    local redis_dir="$SVC_WORK_DIR/redis"
    mkdir -p "$redis_dir"
    SVC_REDIS_PIDFILE="$redis_dir/redis.pid"

    local attempt port=$base_port i pid start_rc
    for (( attempt = 1; attempt <= SVC_PORT_ATTEMPTS; attempt++ )); do
        port="$(svc_find_free_port "$port")" || { svc_warn "no free port for Redis"; return 1; }
        SVC_REDIS_PORT="$port"
        rm -f "$SVC_REDIS_PIDFILE"
        : >"$redis_dir/redis.log"
        : >"$redis_dir/start.out"
        # Pure in-memory: no RDB snapshots, no AOF, files (if any) only in our temp dir.
        start_rc=0
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$redis_dir" --daemonize yes --pidfile "$SVC_REDIS_PIDFILE" \
            --logfile "$redis_dir/redis.log" >"$redis_dir/start.out" 2>&1 </dev/null || start_rc=$?
        if (( start_rc != 0 )); then
            break   # bad option/binary: another port will not help
        fi
        # A daemonized redis reports bind errors only in its log; poll until the server
        # that answers on the port is the one whose pid we wrote.
        for (( i = 0; i < 50; i++ )); do
            if [[ -s "$SVC_REDIS_PIDFILE" ]] && [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]]; then
                pid="$(svc_redis_server_pid)"
                if [[ -n "$pid" && "$pid" == "$(cat "$SVC_REDIS_PIDFILE")" ]]; then
                    SVC_REDIS_STARTED=1
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
    svc_warn "Redis did not start; its output and last log lines:"
    cat "$redis_dir/start.out" >&2 2>/dev/null || true
    tail -n 20 "$redis_dir/redis.log" >&2 2>/dev/null || true
    SVC_REDIS_PORT=""
    return 1
}

svc_redis_stop() {
    (( SVC_REDIS_STARTED )) || return 0
    # Only shut down the server if it is still the one we started (pid matches).
    local pid expected=""
    [[ -s "$SVC_REDIS_PIDFILE" ]] && expected="$(cat "$SVC_REDIS_PIDFILE")"
    pid="$(svc_redis_server_pid)"
    if [[ -n "$pid" && "$pid" == "$expected" ]]; then
        redis-cli -h 127.0.0.1 -p "$SVC_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        local i
        for (( i = 0; i < 50; i++ )); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
        fi
    fi
    SVC_REDIS_STARTED=0
    return 0
}

# --- Dovecot (IMAP) -------------------------------------------------------------------
# Debian keeps the binary in /usr/sbin, which a non-root PATH may lack.
svc_dovecot_bin() {
    command -v dovecot 2>/dev/null || { [[ -x /usr/sbin/dovecot ]] && echo /usr/sbin/dovecot; }
}

# Writes $SVC_DOVECOT_DIR/dovecot.conf for port $1. Dovecot runs under the invoking user;
# as root it cannot (its login processes refuse root and mail access refuses uid 0), so it
# uses the dovenull and dovecot users that the Debian package creates, as a system install does.
_svc_dovecot_config() {
    local port="$1" dir="$SVC_DOVECOT_DIR" login_user internal_user mail_user mail_group
    if svc_is_root; then
        login_user=dovenull; internal_user=dovecot; mail_user=dovecot; mail_group="$(id -gn dovecot)"
    else
        login_user="$(id -un)"; internal_user="$login_user"; mail_user="$login_user"; mail_group="$(id -gn)"
    fi
    cat >"$dir/dovecot.conf" <<EOF
# Throwaway Dovecot written by $SVC_NAME (scripts/services.sh): loopback only, no TLS.
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $login_user
default_internal_user = $internal_user
mail_uid = $mail_user
mail_gid = $mail_group
first_valid_uid = $(id -u "$mail_user")
first_valid_gid = $(id -g "$mail_user")
mail_location = maildir:$dir/mail/%u
# Tests open many sessions per user at once; new mail is noticed within a second in IDLE.
mail_max_userip_connections = 500
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$mail_user gid=$mail_group home=$dir/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
}

# svc_dovecot_start BASE_PORT [USER...]
svc_dovecot_start() {
    local base_port="$1"
    shift
    local users=("$@") bin
    (( ${#users[@]} )) || users=(support sales)
    if [[ -z "$SVC_WORK_DIR" ]]; then
        svc_warn "svc_dovecot_start: no work dir (call svc_make_work_dir first)"
        return 1
    fi
    if ! bin="$(svc_dovecot_bin)"; then
        svc_warn "dovecot not found (Debian package dovecot-imapd)"
        return 1
    fi
    if svc_is_root && ! { id dovenull && id dovecot; } >/dev/null 2>&1; then
        svc_warn "no dovenull/dovecot OS users; Dovecot cannot run as root without them"
        return 1
    fi

    SVC_DOVECOT_DIR="$SVC_WORK_DIR/dovecot"
    mkdir -p "$SVC_DOVECOT_DIR/run" "$SVC_DOVECOT_DIR/state" "$SVC_DOVECOT_DIR/mail"
    local user
    for user in "${users[@]}"; do
        printf '%s:{PLAIN}%s\n' "$user" "$SVC_DOVECOT_PASSWORD"
    done >"$SVC_DOVECOT_DIR/passwd"
    if svc_is_root; then
        chown dovecot: "$SVC_DOVECOT_DIR/mail"
    fi

    local attempt port=$base_port i
    for (( attempt = 1; attempt <= SVC_PORT_ATTEMPTS; attempt++ )); do
        port="$(svc_find_free_port "$port")" || { svc_warn "no free port for Dovecot"; return 1; }
        _svc_dovecot_config "$port"
        : >"$SVC_DOVECOT_DIR/dovecot.log"
        # -F: the master stays in the foreground of its own background job, so its pid is ours to stop.
        "$bin" -F -c "$SVC_DOVECOT_DIR/dovecot.conf" </dev/null >>"$SVC_DOVECOT_DIR/dovecot.log" 2>&1 &
        SVC_DOVECOT_PID=$!
        for (( i = 0; i < 100; i++ )); do
            kill -0 "$SVC_DOVECOT_PID" 2>/dev/null || break
            if [[ "$(_svc_dovecot_greeting "$port")" == *"Dovecot"*"ready"* ]]; then
                SVC_DOVECOT_STARTED=1
                SVC_DOVECOT_PORT="$port"
                return 0
            fi
            sleep 0.1
        done
        # Exited (lost the port to another process, say) or never answered: make sure it is gone.
        _svc_dovecot_kill
        grep -q 'Address already in use' "$SVC_DOVECOT_DIR/dovecot.log" 2>/dev/null || break
        port=$(( port + 1 ))
    done
    svc_warn "Dovecot did not start; last lines of its log:"
    tail -n 20 "$SVC_DOVECOT_DIR/dovecot.log" >&2 2>/dev/null || true
    return 1
}

# Prints the first line the IMAP server on 127.0.0.1:$1 sends (its greeting), or nothing.
_svc_dovecot_greeting() {
    local line="" fd
    { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
    IFS= read -r -t 2 line <&"$fd" || true
    printf 'a logout\r\n' >&"$fd" 2>/dev/null || true
    exec {fd}>&-
    printf '%s' "${line%$'\r'}"
}

# Stops the master we started (it stops its children), waits up to 10 s, then kills it.
_svc_dovecot_kill() {
    [[ -n "$SVC_DOVECOT_PID" ]] || return 0
    local i
    kill "$SVC_DOVECOT_PID" 2>/dev/null || true
    for (( i = 0; i < 100; i++ )); do
        kill -0 "$SVC_DOVECOT_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SVC_DOVECOT_PID" 2>/dev/null; then
        kill -9 "$SVC_DOVECOT_PID" 2>/dev/null || true
    fi
    wait "$SVC_DOVECOT_PID" 2>/dev/null || true
    SVC_DOVECOT_PID=""
}

svc_dovecot_stop() {
    # A pid without STARTED is a server interrupted while it came up (Ctrl-C during the greeting wait): ours too.
    (( SVC_DOVECOT_STARTED )) || [[ -n "$SVC_DOVECOT_PID" ]] || return 0
    _svc_dovecot_kill
    SVC_DOVECOT_STARTED=0
    return 0
}

# --- cleanup --------------------------------------------------------------------------
# Stops only the servers this process started and removes the work dir if we created
# it. Silent on success; idempotent, so an explicit call and an EXIT trap do not clash.
svc_cleanup() {
    local had_e=0
    [[ $- == *e* ]] && had_e=1
    set +e

    svc_dovecot_stop
    svc_redis_stop
    svc_pg_stop
    if (( SVC_POLICY_RC_CREATED )); then
        rm -f /usr/sbin/policy-rc.d
        SVC_POLICY_RC_CREATED=0
    fi
    if (( SVC_WORK_DIR_CREATED )) && [[ -n "$SVC_WORK_DIR" && -d "$SVC_WORK_DIR" ]]; then
        rm -rf -- "$SVC_WORK_DIR"
    fi

    (( had_e )) && set -e
    return 0
}

#!/usr/bin/env bash
# mailroom-serve under load, side by side with Postfix's smtp-sink (which accepts every
# message and throws it away: the floor any SMTP server can reach on this machine), both
# fed by Postfix's load generator smtp-source:
#
#   smtp-source -s S -m M -l 1000 -f alice@example.org -t bob@example.net 127.0.0.1:PORT
#
# For S in 4 and 20 concurrent sessions, each in a fresh mailroom-serve, with and without a
# mail program idling on the INBOX (IMAP IDLE, RFC 2177: a phone or Thunderbird left open,
# which hears of every delivery at once):
#   1. a batch of 4,000 messages into the fresh server, and the same into smtp-sink;
#   2. five batches of 20,000 into the same running server (100,000 stored), each beside
#      the same batch into smtp-sink, so that any growth with what the server holds shows;
#   3. the batch of 4,000 again, now that it holds 100,000 messages.
# Each batch is timed by the wall clock and by the CPU time each server used (utime +
# stime from /proc/PID/stat: steadier than the wall clock on a busy machine). The memory
# is the server's VmRSS and VmHWM (/proc/PID/status) against the octets it stores, as the
# store keeps them (with their Received: and Return-Path: lines). Prints markdown tables.
#
# Run by hand, never by the tests (scripts/test.sh does not call it). It installs Postfix
# if smtp-source or smtp-sink is missing (Debian package postfix, "No configuration": the
# mail system itself is not set up or started), then builds mailroom-serve in release.
# About 4 minutes on a 2-core machine (far longer for a server whose cost grows with what it
# holds: the old one took 20). Knobs (environment):
#   SESSIONS="4 20"   concurrent sessions, one fresh server for each
#   IDLE="no yes"     without and with a mail program in IDLE on the INBOX
#   FRESH=4000        the batch before and after
#   BATCH=20000       the size of each of the BATCHES batches in between
#   BATCHES=5
#   LEN=1000          smtp-source's message length (-l)
#   SERVE_BIN=path    a mailroom-serve binary to measure instead of building one
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MAILROOM_ROOT"

SESSIONS="${SESSIONS:-4 20}"
IDLE="${IDLE:-no yes}"
FRESH="${FRESH:-4000}"
BATCH="${BATCH:-20000}"
BATCHES="${BATCHES:-5}"
LEN="${LEN:-1000}"
FROM="alice@example.org"
TO="bob@example.net"
SOURCE=/usr/sbin/smtp-source
SINK=/usr/sbin/smtp-sink

# --- tools -------------------------------------------------------------------------
if [ ! -x "$SOURCE" ] || [ ! -x "$SINK" ]; then
  header "bench-serve: installing postfix (for smtp-source and smtp-sink only)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  command -v apt-get >/dev/null 2>&1 || die "smtp-source and smtp-sink are missing and there is no apt-get"
  # Install the package, not a mail system: nothing is configured, nothing starts.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed for the mail program in IDLE (scripts/setup.sh installs it)"

if [ -n "${SERVE_BIN:-}" ]; then
  SERVE="$SERVE_BIN"
else
  header "bench-serve: building mailroom-serve (release)"
  cargo build --offline --release -p mailroom-serve
  SERVE="${CARGO_TARGET_DIR:-$MAILROOM_ROOT/target}/release/mailroom-serve"
fi
[ -x "$SERVE" ] || die "no mailroom-serve at $SERVE"

# --- processes we start, and only those, are stopped at the end ---------------------
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# utime + stime of a process, in clock ticks (the fields after "pid (comm)").
cpu_ticks() {
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
TICKS="$(getconf CLK_TCK)"

# One line of /proc/PID/status, in kB.
status_kb() {
  awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

now() { date +%s.%N; }

# Sends `count` messages over `sessions` sessions to 127.0.0.1:`port`; sets SECS (wall
# clock) and CPU (the seconds of CPU the server `pid` used meanwhile).
batch() {
  local port="$1" sessions="$2" count="$3" pid="$4" t0 t1 c0 c1
  c0="$(cpu_ticks "$pid")"
  t0="$(now)"
  if ! "$SOURCE" -s "$sessions" -m "$count" -l "$LEN" -f "$FROM" -t "$TO" "127.0.0.1:$port" >>"$WORK/source.log" 2>&1; then
    tail -3 "$WORK/source.log" >&2
    die "smtp-source failed against 127.0.0.1:$port"
  fi
  t1="$(now)"
  c1="$(cpu_ticks "$pid")"
  SECS="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
  CPU="$(awk -v a="$c0" -v b="$c1" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# A mail program that logs in, selects INBOX and idles there, reading every `* n EXISTS`
# (in large reads, so that this client costs the machine little of what it measures); on
# SIGTERM it prints the last n it was told.
cat >"$WORK/idle.py" <<'EOF'
import signal, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
pending = b""
last = 0
def done(*_):
    print(last, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
def readline():
    global pending
    while b"\n" not in pending:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the server closed the connection")
        pending += chunk
    line, _, pending = pending.partition(b"\n")
    return line + b"\n"
def command(tag, line):
    s.sendall(b"%s %s\r\n" % (tag, line))
    while True:
        reply = readline()
        if reply.startswith(tag + b" "):
            if not reply.startswith(tag + b" OK"):
                sys.exit(reply.decode())
            return
readline()
command(b"a", b"LOGIN bob@example.net builder")
command(b"b", b"SELECT INBOX")
s.sendall(b"c IDLE\r\n")
while True:
    end = pending.rfind(b" EXISTS\r\n")
    if end >= 0:
        last = int(pending[pending.rfind(b"* ", 0, end) + 2 : end])
    pending = pending[pending.rfind(b"\n") + 1 :]
    chunk = s.recv(65536)
    if not chunk:
        break
    pending += chunk
done()
EOF

# --- smtp-sink, one for the whole run ------------------------------------------------
SINK_PORT="$(free_port)"
sink_user=()
[ "$(id -u)" -ne 0 ] || sink_user=(-u nobody) # smtp-sink will not run as root
"$SINK" "${sink_user[@]}" "127.0.0.1:$SINK_PORT" 256 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
sleep 0.3
kill -0 "$SINK_PID" 2>/dev/null || die "smtp-sink did not start: $(cat "$WORK/sink.log")"

header "bench-serve: smtp-source -l $LEN, $FRESH + $BATCHES x $BATCH + $FRESH messages per server"
say "mailroom-serve: $SERVE"
say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

ROWS="$WORK/rows.md"
SUMMARY="$WORK/summary.md"
: >"$ROWS"
: >"$SUMMARY"

for sessions in $SESSIONS; do
  for idle in $IDLE; do
    out="$WORK/serve-$sessions-$idle.out"
    "$SERVE" --smtp 127.0.0.1:0 --imap 127.0.0.1:0 >"$out" 2>"$WORK/serve.err" &
    serve_pid=$!
    PIDS+=("$serve_pid")
    for _ in $(seq 50); do
      grep -q '^listening imap' "$out" 2>/dev/null && break
      sleep 0.1
    done
    smtp_port="$(awk '/^listening smtp/ { n = split($3, a, ":"); print a[n] }' "$out")"
    imap_port="$(awk '/^listening imap/ { n = split($3, a, ":"); print a[n] }' "$out")"
    [ -n "$smtp_port" ] && [ -n "$imap_port" ] || die "mailroom-serve did not start: $(cat "$WORK/serve.err")"
    base_rss="$(status_kb "$serve_pid" VmRSS)"
    idle_pid=""
    if [ "$idle" = yes ]; then
      python3 "$WORK/idle.py" "$imap_port" >"$WORK/idle.out" 2>&1 &
      idle_pid=$!
      PIDS+=("$idle_pid")
      sleep 0.5
      kill -0 "$idle_pid" 2>/dev/null || die "the IDLE client did not start: $(cat "$WORK/idle.out")"
    fi
    say "S=$sessions, IDLE $idle: mailroom-serve on $smtp_port, smtp-sink on $SINK_PORT"

    stored=0
    worst=0
    labels=("fresh, $FRESH")
    counts=("$FRESH")
    for i in $(seq "$BATCHES"); do
      labels+=("batch $i, $BATCH")
      counts+=("$BATCH")
    done
    labels+=("again, $FRESH")
    counts+=("$FRESH")
    for n in "${!counts[@]}"; do
      count="${counts[$n]}"
      batch "$SINK_PORT" "$sessions" "$count" "$SINK_PID"
      sink_secs="$SECS" sink_cpu="$CPU"
      batch "$smtp_port" "$sessions" "$count" "$serve_pid"
      serve_secs="$SECS" serve_cpu="$CPU"
      r="$(ratio "$serve_secs" "$sink_secs")"
      rss="$(status_kb "$serve_pid" VmRSS)"
      printf '| %s | %s | %s | %s | %s | %s | **%s** | %s | %s | %.1f MB |\n' "$sessions" "$idle" \
        "${labels[$n]}" "$stored" "$sink_secs" "$serve_secs" "$r" "$sink_cpu" "$serve_cpu" \
        "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" | tee -a "$ROWS"
      case $n in
        0) fresh_ratio="$r" ;;
        "$((${#counts[@]} - 1))") again_ratio="$r" ;;
        *) worst="$(awk -v a="$worst" -v b="$r" 'BEGIN { print (b > a) ? b : a }')" ;;
      esac
      stored=$((stored + count))
    done

    in_mailbox="$(tail -1 "$out" | sed -n 's/.*, \([0-9]*\) in mailbox)$/\1/p')"
    [ "$in_mailbox" = "$stored" ] || die "mailroom-serve holds ${in_mailbox:-?} messages, not $stored"
    told=""
    if [ -n "$idle_pid" ]; then
      kill "$idle_pid"
      wait "$idle_pid" 2>/dev/null || true
      told="$(tail -1 "$WORK/idle.out")"
      [ "$told" = "$stored" ] || die "the IDLE client was told of ${told:-?} messages, not $stored"
    fi
    octets="$(awk '/^delivered / { sub(/^.*\(/, ""); s += $1 } END { print s }' "$out")"
    rss="$(status_kb "$serve_pid" VmRSS)"
    hwm="$(status_kb "$serve_pid" VmHWM)"
    kill "$serve_pid"
    wait "$serve_pid" 2>/dev/null || true
    printf '| %s | %s | %s | %s | %s | %s | %.1f MB | %.1f MB | %s | %s |\n' "$sessions" "$idle" \
      "$fresh_ratio" "$worst" "$again_ratio" "$stored" "$(awk -v o="$octets" 'BEGIN { print o / 1e6 }')" \
      "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" \
      "$(awk -v k="$rss" -v b="$base_rss" -v o="$octets" 'BEGIN { printf "%.2f", (k - b) * 1024 / o }')" \
      "$(awk -v k="$hwm" -v o="$octets" 'BEGIN { printf "%.2f", k * 1024 / o }')" >>"$SUMMARY"
  done
done

header "bench-serve: every batch (seconds; the ratio is mailroom-serve's wall clock over smtp-sink's)"
echo
echo "| sessions | IDLE | batch | stored before | smtp-sink s | mailroom-serve s | ratio | smtp-sink CPU s | mailroom-serve CPU s | serve RSS after |"
echo "|---|---|---|---|---|---|---|---|---|---|"
cat "$ROWS"
echo
header "bench-serve: summary (goals: ratios within 1.2, memory at most 1.5x what is stored)"
echo
echo "| sessions | IDLE | fresh ratio | worst batch ratio | ratio after the batches | messages stored | octets stored | VmHWM | (RSS - start) / octets | VmHWM / octets |"
echo "|---|---|---|---|---|---|---|---|---|---|"
cat "$SUMMARY"
echo
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# GrpcSync bench: builds Release, starts the server as a real process on a seeded SQLite data set, drives it
# with h2load and wrk, runs the baseline and the store loops, prints one table and writes
# bench/results/latest.{json,md} (smoke: bench/results/smoke.{json,md}). See bench/README.md.
#
#   bench/run.sh              full run: 3 interleaved rounds of figures 1-4 (+ figure 7 once), ratios = median of the rounds
#   bench/run.sh --smoke      a few seconds per phase, 1 round: checks that everything runs and answers, not speed
#   bench/run.sh --postgres   also figure 1 on a throwaway PostgreSQL (combinable with --smoke)
#   bench/run.sh --events     only figure 7 (webhook deliveries, event streams); writes bench/results/events.{json,md}
#   bench/run.sh --api        only figures 1 to 3 (6 with --postgres): the transcoding and baseline ratios
#   bench/run.sh --repeat N   N rounds instead of the mode's default (full: 3, smoke: 1); --label TEXT names the run
#                             in bench/results/history.jsonl (every run but smoke appends one line there)
#   bench/run.sh --serve      only start + seed GrpcSync and print load-tool and profiler commands (Ctrl+C stops)
#
# Exits non-zero, with a message, when a tool is missing, a build fails, a figure has zero throughput or
# failed requests, or a sample call is not gRPC status OK / HTTP 200.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

postgres=false
usage="usage: bench/run.sh [--smoke] [--postgres] [--events | --api] [--repeat N] [--label TEXT] | --serve"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --smoke|--serve|--events|--api) ;;
    --postgres) postgres=true ;;
    --repeat|--label) i=$((i + 1)); ((i < ${#args[@]})) || { echo "$usage" >&2; exit 2; } ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

# ---- tools (Debian packages) ----
missing=()
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if $postgres && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bench: missing Debian packages: ${missing[*]} — install them with: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi
for tool in h2load wrk dotnet; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is still not on PATH" >&2; exit 2; }
done

# ---- build (Release) ----
echo "== build (Release)"
for project in src/GrpcSync.Server bench/Baseline bench/GrpcSync.Bench; do
  if ! dotnet build "$project" -c Release -nologo -v q >/tmp/grpcsync-bench-build.$$ 2>&1; then
    cat /tmp/grpcsync-bench-build.$$ >&2
    rm -f /tmp/grpcsync-bench-build.$$
    echo "bench: building $project failed" >&2
    exit 1
  fi
done
rm -f /tmp/grpcsync-bench-build.$$
built=$(date +%s)

# ---- run the orchestrator; whatever happens, stop what it started and remove the scratch directory ----
work=$(mktemp -d -t grpcsync-bench.XXXXXX)
chmod 711 "$work" # as root, PostgreSQL runs as 'postgres' and must reach $work/pg
bench_pid=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM -- "-$bench_pid" 2>/dev/null || kill -TERM "$bench_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$bench_pid" 2>/dev/null || true
  fi
  if [ -f "$work/pg/data/postmaster.pid" ]; then # a PostgreSQL the orchestrator could not stop itself
    pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort | tail -n 1)
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
    else "$pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Its own process group (setsid), so the trap can stop it together with the servers and load tools it runs.
setsid dotnet bench/GrpcSync.Bench/bin/Release/net10.0/GrpcSync.Bench.dll \
  --repo "$PWD" --work "$work" --build-seconds "$((built - started))" "$@" &
bench_pid=$!
set +e
wait "$bench_pid"
status=$?
set -e
bench_pid=""
echo "bench: total $(($(date +%s) - started)) s (build $((built - started)) s)"
exit "$status"

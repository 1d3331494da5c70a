#!/usr/bin/env bash
# Scheduler-at-scale bench (bench/Scheduler/README.md): builds Release and runs the orchestrator, which seeds
# 100,000 Syncs per store, starts the real engine in a child process per phase and prints one table
# (also bench/Scheduler/results/<label>.{md,json}). Default: SQLite and PostgreSQL, about 12-14 minutes.
#
#   bench/Scheduler/run.sh                                  full run (sqlite + postgres; idle, steady, catch-up)
#   bench/Scheduler/run.sh --stores sqlite                  SQLite only (~6 min)
#   bench/Scheduler/run.sh --syncs 5000 --window 20 --catchup-max 40 --idle 5 --label smoke   quick check
#
# Every other argument goes to the orchestrator (see README for the list). Exits non-zero when a phase failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! dotnet build bench/Scheduler -c Release -nologo -v q >/tmp/grpcsync-sched-build.$$ 2>&1; then
  cat /tmp/grpcsync-sched-build.$$ >&2
  rm -f /tmp/grpcsync-sched-build.$$
  echo "bench/Scheduler: build failed" >&2
  exit 1
fi
rm -f /tmp/grpcsync-sched-build.$$
exec dotnet bench/Scheduler/bin/Release/net10.0/GrpcSync.SchedulerBench.dll "$@"

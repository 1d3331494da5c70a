#!/usr/bin/env bash
# S3 connector bench (bench/S3/README.md): builds Release and runs it against a fresh s3rver (node_modules, `npm ci`).
#
#   bench/S3/run.sh                      10,000 objects (results/latest.md)
#   bench/S3/run.sh --objects 100000     the issue's 100k figure (filling s3rver alone takes minutes)
#   bench/S3/run.sh --smoke              300 objects: checks the harness runs (results/smoke.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! dotnet build bench/S3 -c Release -nologo -v q >/tmp/grpcsync-s3bench-build.$$ 2>&1; then
  cat /tmp/grpcsync-s3bench-build.$$ >&2
  rm -f /tmp/grpcsync-s3bench-build.$$
  echo "bench/S3: build failed" >&2
  exit 1
fi
rm -f /tmp/grpcsync-s3bench-build.$$
exec dotnet bench/S3/bin/Release/net10.0/GrpcSync.S3Bench.dll "$@"

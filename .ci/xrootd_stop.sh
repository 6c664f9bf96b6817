#!/usr/bin/env bash
# Stops the servers .ci/xrootd_start.sh started.
XRD_BASE=${XRD_BASE:-/srv/cortado-xrd}
for f in "$XRD_BASE"/*/run/*/*.pid "$XRD_BASE"/*/run/*.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f" 2>/dev/null) || continue
  kill "$p" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done

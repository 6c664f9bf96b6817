#!/usr/bin/env bash
# Stops the cluster of slurm_start.sh (by pid).
pids=""
for f in /run/slurmctld.pid /run/slurmd.pid; do [ -s "$f" ] && pids="$pids $(cat "$f")"; done
scontrol shutdown >/dev/null 2>&1 || true
for p in $pids; do for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill "$p" 2>/dev/null || true; done
[ -s /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
rm -f /run/slurmctld.pid /run/slurmd.pid

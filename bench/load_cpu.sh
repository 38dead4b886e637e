#!/bin/bash
# CPU seconds (user+system) of the gunicorn workers and of the PostgreSQL backends of the load database.
# The gunicorn master pid is read from QARYZ_GUNICORN_PID_FILE (default var/load/gunicorn.pid).
tck=$(getconf CLK_TCK)
g=0; for p in $(pgrep -P $(cat ${QARYZ_GUNICORN_PID_FILE:-var/load/gunicorn.pid})); do read -r u s < <(awk '{print $14, $15}' /proc/$p/stat); g=$((g+u+s)); done
d=0; for p in $(pgrep -f "postgres: .*qaryz_assurance_load"); do read -r u s < <(awk '{print $14, $15}' /proc/$p/stat 2>/dev/null || echo "0 0"); d=$((d+u+s)); done
echo "$(date +%s.%N) gunicorn_cpu_s=$(echo "scale=2; $g/$tck" | bc) postgres_cpu_s=$(echo "scale=2; $d/$tck" | bc)"

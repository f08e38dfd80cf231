#!/usr/bin/env bash
# Peak memory of importing 1,000,000 generated providers, by the CLI into an empty database and over
# HTTP into a running server that already serves them (every row renamed, so every row is updated).
# Usage: bash benches/import-memory.sh [WORKDIR]   (needs ~6 GB of disk; takes a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/bellmap
WORK=${1:-$(mktemp -d)}
cd "$WORK"
DB=sqlite://$WORK/bench.db
PORT=${BELLMAP_BENCH_PORT:-18182}
rm -f bench.db bench.db-wal bench.db-shm

"$BIN" sample --count 1000000 --seed 7 > big.csv
sed '2,$ s/(fictional)/(fictional v2)/' big.csv > big2.csv
echo "CSV: $(du -h big.csv | cut -f1)"

DATABASE_URL=$DB /usr/bin/time -v "$BIN" import big.csv > cli.json 2> cli.time
echo "CLI import into an empty database: $(grep -E 'Elapsed' cli.time | sed 's/.*: //') wall," \
  "peak RSS $(grep 'Maximum resident' cli.time | awk '{print $NF}') kB"

TOKEN=$(DATABASE_URL=$DB "$BIN" token create --name bench --role admin 2>/dev/null)
BELLMAP_MAX_IMPORT_MB=1024 BELLMAP_BIND=127.0.0.1:$PORT BELLMAP_LOG=warn \
  DATABASE_URL=$DB "$BIN" serve > serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do curl -sf "127.0.0.1:$PORT/ready" > /dev/null && break; sleep 1; done
sleep 2
echo "server serving the snapshot: $(grep VmRSS /proc/$PID/status | awk '{print $2}') kB RSS"
START=$(date +%s)
curl -s -X POST "127.0.0.1:$PORT/v1/admin/imports" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: text/csv' --data-binary @big2.csv > http.json
echo "HTTP re-import (all rows updated): $(( $(date +%s) - START )) s," \
  "server peak RSS $(grep VmHWM /proc/$PID/status | awk '{print $2}') kB;" \
  "report: $(head -c 200 http.json)"
curl -s "127.0.0.1:$PORT/ready"; echo

#!/usr/bin/env bash
# Loopback load: a release server on a generated database, driven by wrk for a fixed time per
# request kind; prints throughput, p50/p99, bytes per answer (headers included) and the ratio to
# /health from the same run. Binds 127.0.0.1 only and stops everything it started.
#
#   bash benches/load.sh                  # 1,000,000 providers, 10 s per kind
#   BELLMAP_LOAD_N=100000 BELLMAP_LOAD_SECONDS=5 bash benches/load.sh
#
# The database (target/load/sample-N.db, from `bellmap sample --seed 7`) is made once and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${BELLMAP_LOAD_N:-1000000}"
SECONDS_EACH="${BELLMAP_LOAD_SECONDS:-10}"
CONNECTIONS="${BELLMAP_LOAD_CONNECTIONS:-64}"
KINDS="${BELLMAP_LOAD_KINDS:-health nearest nearest_fields viewport clusters search}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WORK="$TARGET_DIR/load"
mkdir -p "$WORK"

if ! command -v wrk >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk
fi

cargo build --release --locked --bin bellmap
BIN="$TARGET_DIR/release/bellmap"

DB="$WORK/sample-$N.db"
if [ ! -f "$DB" ]; then
  echo "== making $DB (bellmap sample --count $N --seed 7, then a CLI import)"
  "$BIN" sample --count "$N" --seed 7 >"$WORK/sample-$N.csv"
  started=$(date +%s.%N)
  "$BIN" import --database-url "sqlite://$DB.partial" "$WORK/sample-$N.csv" >/dev/null
  mv "$DB.partial" "$DB"
  for suffix in -wal -shm; do [ -f "$DB.partial$suffix" ] && mv "$DB.partial$suffix" "$DB$suffix"; done
  echo "import: $(echo "$(date +%s.%N) - $started" | bc) s"
  rm -f "$WORK/sample-$N.csv"
fi

# Query points: 1,000 Indian towns of the bundled gazetteer, in a fixed shuffled order.
POINTS="$WORK/points.csv"
python3 - "$POINTS" <<'PY'
import csv, random, sys
rows = [r for r in csv.DictReader(open("data/places.csv", encoding="utf-8"))
        if r["kind"] == "town" and r["country"] == "IN"]
random.Random(7).shuffle(rows)
with open(sys.argv[1], "w") as out:
    for r in rows[:1000]:
        out.write(f'{r["lat"]},{r["lon"]}\n')
PY

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
LOG="$WORK/serve.log"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
# Starts the server and sets `ready` to the seconds it took to answer /ready.
start_server() {
  local started
  started=$(date +%s.%N)
  BELLMAP_BIND="127.0.0.1:$PORT" DATABASE_URL="sqlite://$DB" BELLMAP_NO_SEED=true BELLMAP_LOG=warn \
    "$BIN" serve >"$LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "the server exited; its log:" >&2; cat "$LOG" >&2; exit 1; fi
    sleep 0.1
  done
  ready=$(echo "$(date +%s.%N) - $started" | bc)
}
# Cold start twice: reading every row (no saved snapshot), then from the snapshot that start
# saved beside the database (written after /ready; it appears whole, by a rename).
rm -f "$DB.snapshot"
start_server
from_rows=$ready
for _ in $(seq 1 600); do [ -f "$DB.snapshot" ] && break; sleep 0.1; done
stop_server
start_server
echo "== cold start: ${from_rows} s reading every row, ${ready} s from the saved snapshot ($(du -m "$DB.snapshot" | cut -f1) MB)"
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
echo "== $N providers: RSS $(rss) MiB at /ready; wrk -t2 -c$CONNECTIONS -d${SECONDS_EACH}s per kind"
# The clusters of every provider (built in the background after /ready; this request waits for
# them), then the memory of a server holding its snapshot and clusters, two seconds later.
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v1/clusters?bbox=68,6,98,37&zoom=5"
sleep 2
echo "RSS with the snapshot and its clusters built: $(rss) MiB"

RESULTS="$WORK/results.txt"
: >"$RESULTS"
for kind in $KINDS; do
  BELLMAP_LOAD_KIND="$kind" BELLMAP_LOAD_POINTS="$POINTS" \
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --timeout 10s -s benches/load.lua "http://127.0.0.1:$PORT" \
    | grep '^RESULT' >>"$RESULTS"
done
echo "RSS after the load: $(rss) MiB"

# Single-record edits: each PATCH returns once the snapshot with the change is published (the
# service applies the written row to a copy of the snapshot before it answers), so its time is
# the time to visibility; a public GET right after checks the new name is served. Each name is
# new (the run's pid in it), so no edit is a no-op on a database an earlier run edited.
EDITS="${BELLMAP_LOAD_EDITS:-20}"
if [ "$EDITS" -gt 0 ]; then
  # Token names are unique and the database is reused: a name of this run's own.
  TOKEN="$(DATABASE_URL="sqlite://$DB" "$BIN" token create --name "load-bench-$(date +%s)-$$" --role admin)"
  : >"$WORK/edits.txt"
  # Active providers to edit: the nearest to Lucknow.
  IDS=($(curl -sS "http://127.0.0.1:$PORT/v1/providers/nearest?lat=26.85&lon=80.95&k=$EDITS" \
    | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)["items"]))'))
  for i in $(seq 1 "$EDITS"); do
    id=${IDS[$((i - 1))]}
    t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -X PATCH \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      --data "{\"name\": \"Sample Provider edit $i of run $$\"}" "http://127.0.0.1:$PORT/v1/admin/providers/$id")
    seen=$(curl -sS "http://127.0.0.1:$PORT/v1/providers/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("name"))')
    echo "$t $seen" >>"$WORK/edits.txt"
  done
  python3 - "$WORK/edits.txt" "$EDITS" "$$" <<'PY'
import sys
rows = [l.split(maxsplit=2) for l in open(sys.argv[1])]
ok = [float(t) for code, t, _ in rows if code == "200"]
seen = sum(1 for i, (_, _, name) in enumerate(rows, 1) if name.strip() == f"Sample Provider edit {i} of run {sys.argv[3]}")
ok.sort()
if ok:
    print(f"edits: {len(ok)} of {sys.argv[2]} answered 200, visible to the next public GET in {seen}; "
          f"PATCH to published p50 {ok[len(ok) // 2] * 1000:.0f} ms, max {ok[-1] * 1000:.0f} ms")
else:
    print(f"edits: none answered 200: {rows[:3]}")
PY
  echo "RSS after the edits: $(rss) MiB, peak $(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status") MiB"
fi

python3 - "$RESULTS" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    parts = line.split()
    kv = dict(p.split("=") for p in parts[2:])
    rows.append((parts[1], {k: int(v) for k, v in kv.items()}))
health = next((r for k, r in rows if k == "health"), None)
def rate(r):
    return r["requests"] / (r["duration_us"] / 1e6)
print(f'{"kind":<14} {"req/s":>9} {"p50 ms":>8} {"p99 ms":>8} {"bytes/answer":>13} {"÷ /health":>10} {"errors":>7}')
for kind, r in rows:
    ratio = f'{rate(r) / rate(health):.2f}' if health else "-"
    print(f'{kind:<14} {rate(r):>9.0f} {r["p50_us"] / 1000:>8.2f} {r["p99_us"] / 1000:>8.2f} '
          f'{r["bytes"] / max(r["requests"], 1):>13.0f} {ratio:>10} {r["errors"]:>7}')
PY

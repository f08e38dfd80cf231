#!/usr/bin/env bash
# Abuse cases against a release server on loopback, with /health probed throughout (issue 10).
# For each case the attack runs for a fixed time while a separate client sends GET /health
# sequentially, 20 a second, each on a new connection, and prints /health p50/p99/max:
#   baseline   no attack
#   languages  POST /v1/providers/search with a 140,000-entry `language` list, 2 at a time
#   sliver     POST /v1/providers/search with a 10,000-vertex sliver comb over India, 4 at a time
#   trickle    1,000 request bodies trickled one byte per 5 s (reconnecting when cut off)
#   multipart  imports whose 150 MiB sit in parts without a filename, 2 at a time
# Binds 127.0.0.1 only, takes under 3 minutes once the release binary is built, and stops
# only what it started, by PID, also on Ctrl-C. Needs python3 and a release build (made here).
# Usage: bash benches/abuse.sh [SECONDS_PER_CASE]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
cargo build --release --quiet
BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/bellmap
WORK=$(mktemp -d)
PORT=${BELLMAP_BENCH_PORT:-18184}
DB=sqlite://$WORK/abuse.db
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# 1,000 trickled connections need file descriptors on both ends.
ulimit -n 8192 2> /dev/null || ulimit -n "$(ulimit -Hn)"

cat > "$WORK/client.py" << 'PY'
"""Probe and attack clients for benches/abuse.sh (standard library only)."""
import itertools, json, select, selectors, socket, string, sys, threading, time
from collections import Counter

HOST = "127.0.0.1"

def probe(port, secs):
    """Sequential GET /health, 20 a second, a new connection each; prints latency figures."""
    lat, errors, end = [], 0, time.monotonic() + secs
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            with socket.create_connection((HOST, port), timeout=10) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                errors += 1
            lat.append((time.monotonic() - t0) * 1000)
        except OSError:
            errors += 1
        time.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    print(f"/health p50 {pick(0.5):7.1f} ms  p99 {pick(0.99):7.1f} ms  max {lat[-1] if lat else float('nan'):7.1f} ms"
          f"  ({len(lat)} probes, {errors} failed)")

def exchange(port, head, body_parts, timeout=60):
    """Sends a request (body as an iterable of bytes), stops sending once the server answers;
    returns (status, bytes of body sent)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    sent = 0
    try:
        s.sendall(head)
        for part in body_parts:
            if select.select([s], [], [], 0)[0]:
                break  # the server answered before the body ended
            try:
                s.sendall(part)
            except OSError:
                break
            sent += len(part)
        data = s.recv(64)
        return (int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.1 ") else 0), sent
    except OSError:
        return 0, sent
    finally:
        s.close()

def loop(port, secs, threads, make):
    """`threads` clients, each sending requests made by `make()` back to back for `secs`."""
    statuses, times, sent, end = Counter(), [], [], time.monotonic() + secs
    def run():
        while time.monotonic() < end:
            head, body = make()
            t0 = time.monotonic()
            status, n = exchange(port, head, body)
            statuses[status] += 1
            times.append(time.monotonic() - t0)
            sent.append(n)
    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    times.sort()
    sent.sort()
    med = times[len(times) // 2] if times else float("nan")
    mib = sent[len(sent) // 2] / 2**20 if sent else float("nan")
    print(f"attack: {sum(statuses.values())} requests, statuses {dict(statuses)}, "
          f"median {med:.2f} s and {mib:.1f} MiB sent each")

def post(path, body, content_type, token=None):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{auth}"
            f"Content-Length: {len(body)}\r\n\r\n").encode()

def languages(port, secs):
    codes = ["".join(c) for c in itertools.product(string.ascii_lowercase, repeat=3)]
    body = json.dumps({"near": {"lat": 26.85, "lon": 80.95},
                       "language": [codes[i % len(codes)] for i in range(140_000)]}).encode()
    loop(port, secs, 2, lambda: (post("/v1/providers/search", body, "application/json"), [body]))

def sliver(port, secs):
    # A comb over India: 2,499 teeth 0.0056 deg high, each spanning 68.5..97 deg of longitude.
    ring, south, pitch = [[68.0, 8.0]], 8.0, 28.0 / 2_499
    for t in range(2_499):
        y = south + t * pitch
        ring += [[97.0, y], [97.0, y + pitch / 2], [68.5, y + pitch / 2], [68.5, y + pitch]]
    top = south + 2_499 * pitch + pitch / 2
    ring += [[68.0, top], [68.0, (top + south) / 2], ring[0]]
    assert len(ring) == 10_000
    body = json.dumps({"polygon": {"type": "Polygon", "coordinates": [ring]}, "limit": 500}).encode()
    loop(port, secs, 4, lambda: (post("/v1/providers/search", body, "application/json"), [body]))

def trickle(port, secs, count=1000, every=5.0):
    """`count` connections each sending a 1,000-byte JSON body one byte per `every` seconds;
    a connection the server answers or closes is replaced by a new one."""
    head = post("/v1/providers/search", b"x" * 1000, "application/json")
    sel, opened, cut = selectors.DefaultSelector(), {}, []
    def connect():
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(head)
        s.setblocking(False)
        opened[s] = time.monotonic()
        sel.register(s, selectors.EVENT_READ)
    for _ in range(count):
        connect()
    end, next_byte = time.monotonic() + secs, time.monotonic() + every
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            cut.append(time.monotonic() - opened.pop(s))
            sel.unregister(s)
            s.close()
            connect()
        if time.monotonic() >= next_byte:
            for s in list(opened):
                try:
                    s.send(b" ")
                except OSError:
                    pass
            next_byte += every
    still_open = len(opened)
    for s in opened:
        s.close()
    cut.sort()
    med = f"{cut[len(cut) // 2]:.1f}" if cut else "-"
    print(f"attack: {count} trickled bodies at a time; {len(cut)} answered or cut off by the server, "
          f"median after {med} s; {still_open} open at the end")

def multipart(port, secs, token):
    boundary = "bellmapabuse"
    pad = 150 * 1024 * 1024
    chunk = b"x" * (1024 * 1024)
    part = f"--{boundary}\r\nContent-Disposition: form-data; name=\"pad\"\r\n\r\n".encode()
    tail = (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\nexternal_id,name\r\n--{boundary}--\r\n").encode()
    length = len(part) + pad + len(tail)
    head = (f"POST /v1/admin/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n").encode()
    body = lambda: itertools.chain([part], itertools.repeat(chunk, pad // len(chunk)), [tail])
    loop(port, secs, 2, lambda: (head, body()))

def baseline(port, secs):
    time.sleep(secs)
    print("attack: none")

if __name__ == "__main__":
    mode, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if mode == "probe":
        probe(port, secs)
    elif mode == "multipart":
        multipart(port, secs, sys.argv[4])
    else:
        globals()[mode](port, secs)
PY

BELLMAP_BIND=127.0.0.1:$PORT BELLMAP_LOG=error DATABASE_URL=$DB "$BIN" serve > "$WORK/serve.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 1 60); do curl -sf "127.0.0.1:$PORT/ready" > /dev/null && break; sleep 0.5; done
curl -sf "127.0.0.1:$PORT/ready" > /dev/null || { echo "server did not start:"; cat "$WORK/serve.log"; exit 1; }
TOKEN=$(DATABASE_URL=$DB "$BIN" token create --name abuse-bench --role admin 2> /dev/null)
echo "bellmap serve on 127.0.0.1:$PORT (release, bundled sample, $(nproc) cores); $SECS s per case"

for case in baseline languages sliver trickle multipart; do
  python3 "$WORK/client.py" "$case" "$PORT" "$((SECS + 2))" $([ "$case" = multipart ] && echo "$TOKEN") > "$WORK/attack.out" &
  ATTACK=$!
  PIDS+=("$ATTACK")
  sleep 1 # let the attack take hold
  printf '== %-9s ' "$case"
  python3 "$WORK/client.py" probe "$PORT" "$SECS"
  wait "$ATTACK" || true
  sed 's/^/             /' "$WORK/attack.out"
  kill -0 "$SERVER" 2> /dev/null || { echo "the server died:"; tail "$WORK/serve.log"; exit 1; }
done

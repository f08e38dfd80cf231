#!/usr/bin/env bash
# Real third-party clients against /ogc: GDAL's OAPIF driver (ogrinfo, from Debian) and owslib
# (from PyPI, pinned, in a venv under the target dir). Starts the debug binary on a free loopback
# port with a temp SQLite database seeded with the bundled sample, and stops it (by PID) at exit.
# Every check compares with what the server itself reports and fails the script when it differs.
#
# Usage: tests/clients/ogc.sh   (after `cargo build --bin bellmap`; CARGO_TARGET_DIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET_DIR/debug/bellmap"
[ -x "$BIN" ] || { echo "build the binary first: cargo build --bin bellmap" >&2; exit 1; }

if ! command -v ogrinfo >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends gdal-bin
fi
VENV="$TARGET_DIR/ogc-clients-venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import owslib' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "owslib==0.35.0"
fi
if [ ! -x "$VENV/bin/openapi-spec-validator" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==0.9.0"
fi

TMP="$(mktemp -d)"
source tests/clients/serve.sh
start_bellmap "$TMP" BELLMAP_WORKERS=2
curl -fsS --max-time 5 "$BASE/ready" >/dev/null || { cat "$TMP/serve.log" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; exit 1; }
# A JSON member of an answer, by a Python expression over `d`.
jq_py() { python3 -c "import json,sys; d = json.load(sys.stdin); print($1)"; }

# What the server itself says: active providers in the snapshot.
ACTIVE="$(curl -fsS "$BASE/ready" | jq_py 'd["providers"]')"
[ "$ACTIVE" -gt 1000 ] || fail "the sample was not seeded: $ACTIVE providers"
echo "server: $ACTIVE active providers"

echo "== GDAL $(ogrinfo --version)"
# The layer and its feature count (GDAL reads numberMatched, or pages through all items).
ogrinfo -ro -so "OAPIF:$BASE/ogc" providers >"$TMP/summary.txt"
cat "$TMP/summary.txt"
ogrinfo -ro -q "OAPIF:$BASE/ogc" >"$TMP/layers.txt"
grep -q "providers" "$TMP/layers.txt" || fail "ogrinfo does not list the providers layer: $(cat "$TMP/layers.txt")"
COUNT="$(sed -n 's/^Feature Count: //p' "$TMP/summary.txt")"
[ "$COUNT" = "$ACTIVE" ] || fail "ogrinfo Feature Count $COUNT, the server has $ACTIVE"

# Count features GDAL actually reads (paging through every next link), with an optional filter.
count_read() {
  ogrinfo -ro -q "$@" | grep -c '^OGRFeature(providers):' || true
}
ALL_READ="$(count_read "OAPIF:$BASE/ogc" providers)"
[ "$ALL_READ" = "$ACTIVE" ] || fail "GDAL read $ALL_READ features, the server has $ACTIVE"

# -spat: a box over northern India; compared with the server's own numberMatched for that bbox.
SPAT="76 26 81 29"
WANT="$(curl -fsS "$BASE/ogc/collections/providers/items?bbox=76,26,81,29&limit=1" | jq_py 'd["numberMatched"]')"
GOT="$(count_read -spat $SPAT "OAPIF:$BASE/ogc" providers)"
[ "$WANT" -gt 0 ] || fail "the box over northern India is empty"
[ "$GOT" = "$WANT" ] || fail "ogrinfo -spat $SPAT read $GOT features, numberMatched is $WANT"
echo "-spat $SPAT: $GOT features"

# Across 180°: GDAL's -spat cannot express west > east, so the items URL is checked directly
# against every public point (brute force in Python over the unfiltered listing).
curl -fsS "$BASE/ogc/collections/providers/items?limit=1000" -o "$TMP/p1.json"
python3 - "$BASE" "$TMP/across.count" <<'PY' || fail "the box across 180 degrees"
import json, sys, urllib.request
base = sys.argv[1]
def pages(url):
    while url:
        d = json.load(urllib.request.urlopen(url))
        yield d
        url = next((l["href"] for l in d["links"] if l["rel"] == "next"), None)
every = [f for d in pages(base + "/ogc/collections/providers/items?limit=1000") for f in d["features"]]
w, s, e, n = 170.0, -50.0, -170.0, 10.0
want = sorted(f["id"] for f in every
              if s <= f["geometry"]["coordinates"][1] <= n
              and (f["geometry"]["coordinates"][0] >= w or f["geometry"]["coordinates"][0] <= e))
got = sorted(f["id"] for d in pages(base + "/ogc/collections/providers/items?bbox=170,-50,-170,10&limit=50")
             for f in d["features"])
assert want, "the sample has providers near 180 degrees (Fiji)"
assert got == want, (len(got), len(want))
print(f"bbox across 180 degrees: {len(got)} features, as brute force")
open(sys.argv[2], "w").write(str(len(want)))
PY
# GDAL reads that answer too: its GeoJSON driver on the items URL (one page holds it all).
WANT="$(cat "$TMP/across.count")"
GOT="$(ogrinfo -ro -so -al "$BASE/ogc/collections/providers/items?bbox=170,-50,-170,10&limit=1000" |
  sed -n 's/^Feature Count: //p')"
[ "$GOT" = "$WANT" ] || fail "GDAL read $GOT features across 180 degrees, brute force says $WANT"
echo "GDAL (GeoJSON driver) on the items across 180 degrees: $GOT features"

# -where: GDAL turns it into a CQL2 filter when the server conforms to Filtering (else it
# filters itself); either way the count must be the server's numberMatched for the same filter.
WANT="$(curl -fsS -G "$BASE/ogc/collections/providers/items" --data-urlencode "filter=open_24_7 = true AND country = 'IN'" --data-urlencode limit=1 | jq_py 'd["numberMatched"]')"
GOT="$(count_read -where "open_24_7 = 1 AND country = 'IN'" "OAPIF:$BASE/ogc" providers)"
[ "$WANT" -gt 0 ] || fail "no provider in India is open 24/7"
[ "$GOT" = "$WANT" ] || fail "ogrinfo -where read $GOT features, numberMatched is $WANT"
echo "-where open_24_7 and country: $GOT features"

# One item by id: the first id of the listing, read by -fid.
FID="$(curl -fsS "$BASE/ogc/collections/providers/items?limit=1" | jq_py 'd["features"][0]["id"]')"
NAME="$(curl -fsS "$BASE/ogc/collections/providers/items/$FID" | jq_py 'd["properties"]["name"]')"
ogrinfo -ro -q -fid "$FID" "OAPIF:$BASE/ogc" providers >"$TMP/fid.txt"
grep -q "OGRFeature(providers):$FID" "$TMP/fid.txt" || fail "ogrinfo -fid $FID: $(head -5 "$TMP/fid.txt")"
grep -qF "name (String) = $NAME" "$TMP/fid.txt" || fail "ogrinfo -fid $FID does not show its name $NAME"
echo "-fid $FID: $NAME"

echo "== owslib"
"$VENV/bin/python" tests/clients/ogc_owslib.py "$BASE" "$ACTIVE"

echo "== /ogc/api passes openapi-spec-validator (OpenAPI 3.0)"
curl -fsS "$BASE/ogc/api" -o "$TMP/ogc-api.json"
"$VENV/bin/openapi-spec-validator" "$TMP/ogc-api.json"
python3 -c "import json,sys; d = json.load(open(sys.argv[1])); assert d['openapi'].startswith('3.0'), d['openapi']" "$TMP/ogc-api.json"

echo "OGC clients: all checks passed"

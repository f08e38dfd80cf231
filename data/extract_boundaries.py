#!/usr/bin/env python3
"""Make data/boundaries/countries.geojson, india_states.geojson and india_districts.geojson.

Python 3, standard library only. Inputs (see data/SOURCES.md):
  --src   the shared boundaries folder (world_countries_50m.geojson, india_states_2020.geojson,
          india_districts_2020.geojson)
  --iso   ISO 3166-1 table from Debian's iso-codes package (numeric -> alpha-2)

Output: one Feature per country (property `iso_a2` only) and per Indian state or union territory
(property `name` only), MultiPolygon geometry, coordinates rounded to 4 decimals (about 11 m),
simplified with Douglas-Peucker, compact JSON, deterministic bytes. Districts (properties
`district` and `state`) are not simplified (the source is already quantised to about 150 m) and are
rounded to 5 decimals, so a small district keeps its shape.

Rings that cross the antimeridian (Fiji, Russia) are unwrapped: their western longitudes get +360,
so such a ring lies in 0..360. A reader tests a point at lon and, when lon < 0, at lon + 360 too.
"""

import argparse
import json
import os

# world-atlas features that have no ISO numeric id: keep those with an ISO alpha-2 in use.
NAMELESS = {
    "Kosovo": "XK",
    "N. Cyprus": "CY",
    "Somaliland": "SO",
    "Siachen Glacier": "IN",
    "Indian Ocean Ter.": "CX",  # Christmas Island and the Cocos Islands (CC), Australian territories
}
# Antarctica's ring runs along the pole; no emergency numbers there.
DROP = {"AQ"}


def perp_dist(p, a, b):
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return ((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5


def simplify(ring, tol):
    """Douglas-Peucker on a closed ring (first == last); iterative."""
    if len(ring) <= 4 or tol <= 0:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        i, j = stack.pop()
        best, idx = 0.0, -1
        for k in range(i + 1, j):
            d = perp_dist(ring[k], ring[i], ring[j])
            if d > best:
                best, idx = d, k
        if idx >= 0 and best > tol:
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    out = [p for p, k in zip(ring, keep) if k]
    return out if len(out) >= 4 else ring


def unwrap(ring):
    """Adds 360 to western longitudes of a ring that jumps across the antimeridian."""
    if any(abs(a[0] - b[0]) > 180 for a, b in zip(ring, ring[1:])):
        return [[x + 360 if x < 0 else x, y] for x, y in ring]
    return ring


def clean_ring(ring, tol, digits):
    ring = unwrap([[float(x), float(y)] for x, y in ring])
    ring = simplify(ring, tol)
    out = []
    for x, y in ring:
        p = [round(x, digits), round(y, digits)]
        if not out or out[-1] != p:
            out.append(p)
    if out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def polygons(geom):
    if geom["type"] == "Polygon":
        return [geom["coordinates"]]
    if geom["type"] == "MultiPolygon":
        return geom["coordinates"]
    raise SystemExit(f"unexpected geometry {geom['type']}")


def multipolygon(geoms, tol, digits=4):
    out = []
    for geom in geoms:
        for poly in polygons(geom):
            rings = [clean_ring(r, tol, digits) for r in poly]
            if rings[0] is None:
                continue
            out.append([rings[0]] + [r for r in rings[1:] if r is not None])
    return {"type": "MultiPolygon", "coordinates": out}


def write(path, features):
    fc = {"type": "FeatureCollection", "features": features}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(fc, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print(f"{path}: {len(features)} features, {os.path.getsize(path)} bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="../shared/data/boundaries")
    ap.add_argument("--iso", default="/usr/share/iso-codes/json/iso_3166-1.json")
    ap.add_argument("--out", default="data/boundaries")
    ap.add_argument("--tolerance", type=float, default=0.01, help="degrees (Douglas-Peucker)")
    args = ap.parse_args()

    with open(args.iso, encoding="utf-8") as f:
        iso = {c["numeric"]: c["alpha_2"] for c in json.load(f)["3166-1"]}
    with open(os.path.join(args.src, "world_countries_50m.geojson"), encoding="utf-8") as f:
        world = json.load(f)
    by_code = {}
    for feat in world["features"]:
        props = feat["properties"]
        code = iso.get(props.get("id")) or NAMELESS.get(props.get("name"))
        if code is None:
            raise SystemExit(f"no ISO alpha-2 code for {props}")
        if code in DROP:
            continue
        by_code.setdefault(code, []).append(feat["geometry"])
    countries = [
        {"type": "Feature", "properties": {"iso_a2": code}, "geometry": multipolygon(geoms, args.tolerance)}
        for code, geoms in sorted(by_code.items())
    ]

    with open(os.path.join(args.src, "india_states_2020.geojson"), encoding="utf-8") as f:
        india = json.load(f)
    by_state = {}
    for feat in india["features"]:
        by_state.setdefault(feat["properties"]["st_nm"], []).append(feat["geometry"])
    if len(by_state) != 36:
        raise SystemExit(f"expected 36 states and union territories, got {len(by_state)}")
    states = [
        {"type": "Feature", "properties": {"name": name}, "geometry": multipolygon(geoms, args.tolerance)}
        for name, geoms in sorted(by_state.items())
    ]

    with open(os.path.join(args.src, "india_districts_2020.geojson"), encoding="utf-8") as f:
        india = json.load(f)
    by_district = {}
    for feat in india["features"]:
        props = feat["properties"]
        if props["st_nm"] not in by_state:
            raise SystemExit(f"district {props['district']} is in an unknown state {props['st_nm']}")
        # Names repeat across states (Aurangabad, Bilaspur, Hamirpur): the key is the pair.
        by_district.setdefault((props["st_nm"], props["district"]), []).append(feat["geometry"])
    districts = [
        {"type": "Feature", "properties": {"district": district, "state": state},
         "geometry": multipolygon(geoms, 0.0, digits=5)}
        for (state, district), geoms in sorted(by_district.items())
    ]

    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "countries.geojson"), countries)
    write(os.path.join(args.out, "india_states.geojson"), states)
    write(os.path.join(args.out, "india_districts.geojson"), districts)


if __name__ == "__main__":
    main()

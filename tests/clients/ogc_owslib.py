"""owslib (a client nobody here wrote) reads Bellmap's OGC API - Features.

Usage: ogc_owslib.py BASE_URL ACTIVE_COUNT. Exits non-zero on the first check that fails.
"""

import sys

from owslib.ogcapi.features import Features

base, active = sys.argv[1], int(sys.argv[2])
api = Features(base + "/ogc")

# The landing page: its links.
rels = {link["rel"] for link in api.links}
for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
    assert rel in rels, f"landing page lacks {rel}: {rels}"

# The conformance declaration.
classes = api.conformance()["conformsTo"]
for want in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson"):
    assert any(c.endswith(want) for c in classes), f"{want} not declared: {classes}"

# The API definition through the service-desc link.
definition = api.api()
assert definition["openapi"].startswith("3.0"), definition["openapi"]

# Collections: one feature collection, providers.
assert api.feature_collections() == ["providers"], api.feature_collections()
collection = api.collection("providers")
assert collection["itemType"] == "feature", collection

# Items: a page, its numberMatched the server's active count, then one item by id.
page = api.collection_items("providers", limit=10)
assert page["type"] == "FeatureCollection", page.get("type")
assert len(page["features"]) == 10, len(page["features"])
assert page["numberMatched"] == active, (page["numberMatched"], active)
assert page["numberReturned"] == 10, page["numberReturned"]
first = page["features"][0]
one = api.collection_item("providers", str(first["id"]))
assert one["id"] == first["id"] and one["properties"]["name"] == first["properties"]["name"], one

# A bbox through owslib, checked against the page's own points.
boxed = api.collection_items("providers", bbox=[76, 26, 81, 29], limit=1000)
assert boxed["features"], "the box over northern India is empty"
for f in boxed["features"]:
    lon, lat = f["geometry"]["coordinates"]
    assert 76 <= lon <= 81 and 26 <= lat <= 29, f["geometry"]

# A CQL2 text filter through owslib.
filtered = api.collection_items("providers", filter="category = 'shelter'", limit=1000)
assert filtered["features"], "no shelter"
assert all("shelter" in f["properties"]["categories"] for f in filtered["features"])

# The queryables.
queryables = api.collection_queryables("providers")
assert "geometry" in queryables["properties"], queryables

print(
    f"owslib: landing page, {len(classes)} conformance classes, collection, "
    f"{page['numberMatched']} items matched, item {first['id']}, bbox {len(boxed['features'])}, "
    f"filter {filtered['numberMatched']}"
)

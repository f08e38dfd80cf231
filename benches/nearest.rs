//! The query engine at 10k, 100k and 1M providers: snapshot build, nearest k=1/10/100 (and raw
//! rstar on the same points, in the same run, for the ratio), nearest with a category filter
//! matching about 5 % and with a filter matching about 0.1 % of providers, all far from the query
//! points, within 10 km, a city and a state viewport, a district-sized polygon, and JSON and
//! GeoJSON serialisation of a k=10 answer.
//!
//! `cargo bench --bench nearest` (BELLMAP_BENCH_SIZES=10000,100000 for fewer sizes). The data is
//! `bellmap sample --seed 7`'s, made in memory and never stored.

use bellmap::http::dto::{FeatureCollection, Fields, ProviderDto};
use bellmap::index::Snapshot;
use bellmap::model::{LonLat, Provider};
use bellmap::query::{Area, BoundingBox, Filters, Region, in_region, nearest, within};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use rstar::RTree;
use std::hint::black_box;
use std::time::Duration;

/// The server's allocator (src/main.rs), so the memory layout measured is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sizes() -> Vec<usize> {
    std::env::var("BELLMAP_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000])
}

/// The one-category or one-language filter whose share of providers is nearest `share`, named,
/// with that share.
fn filter_near(snap: &Snapshot, share: f64) -> (Filters, String, f64) {
    let n = snap.len() as f64;
    let mut options: Vec<(Filters, String, f64)> = snap
        .category_counts()
        .into_iter()
        .map(|(c, count)| {
            (
                Filters { categories: vec![c], ..Filters::default() },
                format!("category={}", c.slug()),
                count as f64 / n,
            )
        })
        .collect();
    let mut languages = std::collections::HashMap::<&str, usize>::new();
    for p in snap.records.iter() {
        for l in p.languages().iter() {
            *languages.entry(l).or_default() += 1;
        }
    }
    options.extend(languages.into_iter().map(|(l, count)| {
        (
            Filters { languages: vec![l.to_string()], ..Filters::default() },
            format!("language={l}"),
            count as f64 / n,
        )
    }));
    options
        .into_iter()
        .min_by(|a, b| (a.2 - share).abs().total_cmp(&(b.2 - share).abs()).then_with(|| a.1.cmp(&b.1)))
        .expect("the sample has categories")
}

/// Of `candidates`, those at least `km` from every provider `filters` accepts (a rare filter's
/// worst case: the walk must go far to find k).
fn far_from(snap: &Snapshot, filters: &Filters, candidates: &[LonLat], km: f64) -> Vec<LonLat> {
    let passing: Vec<[f64; 3]> = (0..snap.len() as u32)
        .filter(|s| filters.matches(snap, *s))
        .map(|s| snap.points[s as usize].to_xyz())
        .collect();
    let tree = RTree::bulk_load(passing);
    let chord = bellmap::model::chord2_for_distance_m(km * 1000.0);
    candidates
        .iter()
        .copied()
        .filter(|o| {
            tree.nearest_neighbor_iter_with_distance_2(&o.to_xyz()).next().is_some_and(|(_, d2)| d2 >= chord)
        })
        .collect()
}

/// A 16-sided polygon about `radius_km` around `centre`, irregular like a district outline.
fn district(centre: LonLat, radius_km: f64) -> Area {
    let mut ring: Vec<[f64; 2]> = (0..16)
        .map(|i| {
            let a = i as f64 / 16.0 * std::f64::consts::TAU;
            let r = radius_km * if i % 3 == 0 { 0.7 } else { 1.0 } / 111.0;
            [centre.lon + r * a.cos() / centre.lat.to_radians().cos(), centre.lat + r * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    let geojson = serde_json::json!({"type": "Polygon", "coordinates": [ring]});
    Area::from_geojson(&geojson, "polygon").expect("a valid polygon")
}

fn around(centre: LonLat, half_lon: f64, half_lat: f64) -> BoundingBox {
    BoundingBox {
        west: centre.lon - half_lon,
        south: centre.lat - half_lat,
        east: centre.lon + half_lon,
        north: centre.lat + half_lat,
    }
}

fn benches(c: &mut Criterion) {
    for n in sizes() {
        let records: Vec<Provider> = bellmap::sample::providers(n, 7);
        let mut build = c.benchmark_group(format!("build_{n}"));
        build.sample_size(10).measurement_time(Duration::from_secs(if n >= 1_000_000 { 40 } else { 10 }));
        build.bench_function("snapshot", |b| {
            b.iter_batched(
                || records.clone(),
                |r| {
                    let snap = Snapshot::build(1, r);
                    snap.clusters();
                    snap
                },
                BatchSize::LargeInput,
            )
        });
        let snap = Snapshot::build(1, records.clone());
        // One record renamed and moved 2 km: the snapshot an admin's edit publishes, then with
        // its clusters (built after it is published).
        let middle = snap.record(snap.len() as u32 / 2).id();
        let mut edited = records.iter().find(|p| p.id == middle).expect("a record of the snapshot").clone();
        drop(records);
        edited.data.name.push_str(" (renamed)");
        let at = *edited.data.location.reveal();
        edited.data.location = LonLat { lon: at.lon + 0.02, lat: at.lat }.into();
        build.bench_function("one_edit", |b| b.iter(|| snap.with_changes(2, vec![edited.clone()])));
        build.bench_function("one_edit_with_clusters", |b| {
            b.iter(|| {
                let next = snap.with_changes(2, vec![edited.clone()]);
                next.clusters();
                next
            })
        });
        build.finish();
        let now = snap.built_at.unix_timestamp();

        // Query points: every 997th public point (mostly Indian towns, some abroad).
        let origins: Vec<LonLat> = snap.points.iter().step_by((snap.len() / 1000).max(1)).copied().collect();
        let raw = RTree::bulk_load(snap.points.iter().map(|p| p.to_xyz()).collect::<Vec<[f64; 3]>>());

        let (common, common_name, common_share) = filter_near(&snap, 0.05);
        let (rare, rare_name, rare_share) = filter_near(&snap, 0.001);
        let far_rare = far_from(&snap, &rare, &origins, 200.0);
        let far_common = far_from(&snap, &common, &origins, 20.0);
        eprintln!(
            "{n}: {} active; 5 % filter {common_name} = {:.2} % ({} origins 20 km from any); 0.1 % filter {rare_name} = {:.3} % ({} origins 200 km from any)",
            snap.len(),
            common_share * 100.0,
            far_common.len(),
            rare_share * 100.0,
            far_rare.len()
        );

        let mut g = c.benchmark_group(format!("query_{n}"));
        g.measurement_time(Duration::from_secs(5));
        let none = Filters::default();
        for k in [1usize, 10, 100] {
            let mut i = 0;
            g.bench_function(BenchmarkId::new("nearest", k), |b| {
                b.iter(|| {
                    i = (i + 1) % origins.len();
                    nearest(&snap, black_box(origins[i]), k, None, &none)
                })
            });
            let mut i = 0;
            g.bench_function(BenchmarkId::new("raw_rstar", k), |b| {
                b.iter(|| {
                    i = (i + 1) % origins.len();
                    raw.nearest_neighbor_iter(&black_box(origins[i]).to_xyz()).take(k).count()
                })
            });
        }
        for (name, filters, points) in [
            ("nearest10_filter_5pct_far", &common, &far_common),
            ("nearest10_filter_0.1pct_far", &rare, &far_rare),
        ] {
            if points.is_empty() {
                eprintln!("{name}: no query point is far enough from the filter's providers; skipped");
                continue;
            }
            let mut i = 0;
            g.bench_function(name, |b| {
                b.iter(|| {
                    i = (i + 1) % points.len();
                    nearest(&snap, black_box(points[i]), 10, None, filters)
                })
            });
        }
        let mut i = 0;
        g.bench_function("within_10km", |b| {
            b.iter(|| {
                i = (i + 1) % origins.len();
                within(&snap, black_box(origins[i]), 10_000.0, &none)
            })
        });
        let lucknow = LonLat { lon: 80.95, lat: 26.85 };
        for (name, region) in [
            ("viewport_city", Region::Box(around(lucknow, 0.1, 0.1))),
            ("viewport_state", Region::Box(around(lucknow, 3.0, 2.0))),
            ("district_polygon", Region::Area(district(lucknow, 40.0))),
        ] {
            eprintln!("{n} {name}: {} providers", in_region(&snap, &region, &none).len());
            g.bench_function(name, |b| b.iter(|| in_region(&snap, black_box(&region), &none)));
        }
        let hits = nearest(&snap, lucknow, 10, None, &none);
        let items = ProviderDto::from_hits(&snap, &hits, None, now, Fields::ALL);
        eprintln!(
            "{n} k=10 answer: {} bytes JSON, {} GeoJSON",
            serde_json::to_vec(&items).unwrap().len(),
            serde_json::to_vec(&FeatureCollection::new(&items, None, items.len(), None)).unwrap().len()
        );
        g.bench_function("serialise_k10_json", |b| {
            b.iter(|| {
                serde_json::to_vec(&ProviderDto::from_hits(&snap, black_box(&hits), None, now, Fields::ALL))
                    .unwrap()
            })
        });
        g.bench_function("serialise_k10_geojson", |b| {
            b.iter(|| {
                let items = ProviderDto::from_hits(&snap, black_box(&hits), None, now, Fields::ALL);
                serde_json::to_vec(&FeatureCollection::new(&items, None, items.len(), None)).unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(nearest_benches, benches);
criterion_main!(nearest_benches);

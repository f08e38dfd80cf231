//! Clusters at scale: building every zoom level, and answering one map viewport (the GeoJSON
//! body the server sends), over 1,000,000 generated providers.
//!
//! `cargo bench --bench clusters` (BELLMAP_BENCH_N=… for another size; the data is generated
//! by `bellmap sample`'s generator, never stored).

use bellmap::http::clusters::viewport;
use bellmap::index::Snapshot;
use bellmap::index::clusters::{ClusterIndex, unproject};
use bellmap::model::LonLat;
use bellmap::query::{BoundingBox, Filters};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use std::time::{Duration, Instant};

/// The server's allocator (src/main.rs), so the memory layout measured is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn snapshot() -> Snapshot {
    let n: usize = std::env::var("BELLMAP_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let started = Instant::now();
    let records = bellmap::sample::providers(n, 7);
    let snap = Snapshot::build(1, records);
    eprintln!("{} active providers generated and indexed in {:.1?}", snap.len(), started.elapsed());
    snap
}

/// The box a `width` × `height` px map (256 px tiles, as Leaflet) shows around `centre` at `zoom`.
fn screen(centre: LonLat, zoom: u8, width: f64, height: f64) -> BoundingBox {
    let [x, y] = bellmap::index::clusters::project(centre);
    let world = 256.0 * f64::from(1u32 << zoom);
    let (dx, dy) = (width / 2.0 / world, height / 2.0 / world);
    let nw = unproject([x - dx, (y - dy).max(0.0)]);
    let se = unproject([x + dx, (y + dy).min(1.0)]);
    BoundingBox { west: nw.lon.max(-180.0), south: se.lat, east: se.lon.min(180.0), north: nw.lat }
}

fn benches(c: &mut Criterion) {
    let snap = snapshot();
    let bits: Vec<u16> = snap.records.iter().map(|p| p.category_bits()).collect();
    let index = snap.clusters();
    let items: usize = (0..=bellmap::index::clusters::LEAF_ZOOM).map(|z| index.level(z).len()).sum();
    let heap = index.heap_bytes();
    eprintln!(
        "cluster index of every provider: {items} items, {heap} heap bytes ({:.1} MB)",
        heap as f64 / 1e6
    );

    let mut build = c.benchmark_group("clusters_build");
    build.sample_size(10).measurement_time(Duration::from_secs(30));
    build.bench_function("all_levels", |b| {
        b.iter(|| ClusterIndex::build(black_box(&snap.points), &bits, 0..snap.len() as u32))
    });
    let shelters = Filters { categories: vec![bellmap::model::Category::Shelter], ..Filters::default() };
    build.bench_function("all_levels_shelters_only", |b| {
        b.iter(|| {
            let slots = (0..snap.len() as u32).filter(|s| shelters.matches(&snap, *s));
            ClusterIndex::build(black_box(&snap.points), &bits, slots)
        })
    });
    build.finish();

    let mut view = c.benchmark_group("clusters_viewport");
    let phone = (390.0, 844.0);
    let desktop = (1920.0, 1080.0);
    let cases = [
        ("india_z5_desktop", LonLat { lon: 80.0, lat: 22.5 }, 5, desktop),
        ("delhi_z10_desktop", LonLat { lon: 77.2, lat: 28.6 }, 10, desktop),
        ("lucknow_z13_desktop", LonLat { lon: 80.95, lat: 26.85 }, 13, desktop),
        ("mumbai_z16_phone", LonLat { lon: 72.88, lat: 19.07 }, 16, phone),
        ("world_z2_desktop", LonLat { lon: 0.0, lat: 20.0 }, 2, desktop),
    ];
    for (name, centre, zoom, (w, h)) in cases {
        let bbox = screen(centre, zoom, w, h);
        let body = viewport(&snap, &snap.clusters(), &Filters::default(), zoom, &bbox).expect("fits");
        let features = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["total"].clone();
        eprintln!("{name}: {features} features, {} bytes", body.len());
        view.bench_function(name, |b| {
            b.iter(|| {
                viewport(&snap, &snap.clusters(), &Filters::default(), zoom, black_box(&bbox)).expect("fits")
            })
        });
    }
    view.finish();
}

criterion_group!(clusters, benches);
criterion_main!(clusters);

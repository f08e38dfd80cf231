//! Open now at scale: nearest k=10 over 1,000,000 generated providers with and without an
//! `open_at` filter (with and without the open providers' own tree), one schedule evaluation,
//! and the cost of compiling the schedules at snapshot build.
//!
//! `cargo bench --bench hours` (BELLMAP_BENCH_N=… for another size). The data is the
//! `bellmap sample --seed 7` generator's, made in memory and never stored: mixed hours (24/7
//! for most shelters and helplines, eleven office-hours patterns for the rest, one with
//! `PH off`), so the filter really drops providers.

use bellmap::hours::Table;
use bellmap::index::Snapshot;
use bellmap::model::LonLat;
use bellmap::query::{Filters, nearest};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The server's allocator (src/main.rs), so the memory layout measured is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Providers generated: BELLMAP_BENCH_N, or a million.
fn size() -> usize {
    std::env::var("BELLMAP_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

fn snapshot() -> Snapshot {
    let n = size();
    let started = Instant::now();
    let records = bellmap::sample::providers(n, 7);
    let built = Instant::now();
    let snap = Snapshot::build(1, records);
    eprintln!(
        "{} active providers generated in {:.1?}, snapshot built in {:.1?}",
        snap.len(),
        built - started,
        built.elapsed()
    );
    snap
}

fn benches(c: &mut Criterion) {
    let snap = snapshot();
    let now = snap.built_at.unix_timestamp();

    // The schedules' share of the build, measured alone (the snapshot above built them too).
    let started = Instant::now();
    let table = Table::build(snap.len(), |s| snap.record(s as u32).hours_of(), &snap.points, now);
    let always_or_none = (0..snap.len() as u32).filter(|s| snap.hours.next_change(*s, now).is_none()).count();
    eprintln!(
        "hours table: {} distinct schedules compiled in {:.1?} ({} providers are 24/7 or have no hours)",
        table.compiled(),
        started.elapsed(),
        always_or_none
    );

    // Query points: every 997th provider's public point (mostly Indian towns, some abroad).
    let origins: Vec<LonLat> = snap.points.iter().step_by(997).take(1_000).copied().collect();
    // Tomorrow 12:00 and 02:00 in India (UTC+05:30): by day most offices are open, by night
    // only the round-the-clock providers pass, so the walk must visit more neighbours.
    let tomorrow = now - now.rem_euclid(86_400) + 86_400;
    let day = Filters { open_at: Some(tomorrow + 6 * 3600 + 1800), ..Filters::default() };
    let night = Filters { open_at: Some(tomorrow + 20 * 3600 + 1800), ..Filters::default() };
    let none = Filters::default();
    for (name, f) in [("day", &day), ("night", &night)] {
        let open = (0..snap.len() as u32).filter(|s| f.matches(&snap, *s)).count();
        eprintln!("open at the {name} instant: {open} of {}", snap.len());
    }

    // Cold: no open tree yet (as after every snapshot swap, until the second open query of a
    // set has had its tree built), so the walk checks each neighbour's schedule flag. Warm: the
    // open providers' own tree, what the server answers from almost always.
    let mut group = c.benchmark_group("nearest_k10");
    group.measurement_time(Duration::from_secs(10));
    snap.set_open_trees(false);
    let runs: [(&str, &Filters, bool); 5] = [
        ("unfiltered", &none, false),
        ("open_at_day_cold", &day, false),
        ("open_at_night_cold", &night, false),
        ("open_at_day", &day, true),
        ("open_at_night", &night, true),
    ];
    for (name, filters, warm) in runs {
        if warm {
            snap.set_open_trees(true);
            let started = Instant::now();
            let set = snap.wait_for_open_tree(filters.open_at.expect("an open filter"));
            eprintln!(
                "open tree for {name}: {} providers, built in {:.1?}",
                set.tree().map_or(0, |t| t.size()),
                started.elapsed()
            );
        }
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % origins.len();
                nearest(&snap, black_box(origins[i]), 10, None, filters)
            })
        });
    }
    group.finish();

    // The same comparison interleaved: criterion runs the variants one after another, and on a
    // shared machine the baseline itself drifts by tens of percent between them.
    let providers = bellmap::sample::providers(size(), 7);
    let cold = Snapshot::build(1, providers.clone());
    cold.set_open_trees(false);
    // The providers open at night as a snapshot of their own: what a walk over just them costs
    // with no filter at all, the floor for any open-now index.
    let night_only = Snapshot::build(
        1,
        (0..snap.len() as u32)
            .filter(|s| night.matches(&snap, *s))
            .map(|s| snap.record(s).id())
            .filter_map(|id| providers.binary_search_by_key(&id, |p| p.id).ok().map(|i| providers[i].clone()))
            .collect::<Vec<_>>(),
    );
    let rounds = std::env::var("BELLMAP_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    interleaved(
        &[
            ("unfiltered", &snap, &none),
            ("open_at_day", &snap, &day),
            ("open_at_night", &snap, &night),
            ("unfiltered (copy)", &cold, &none),
            ("open_at_day_cold", &cold, &day),
            ("open_at_night_cold", &cold, &night),
            ("night-open only", &night_only, &none),
        ],
        &origins,
        rounds,
    );
    drop((cold, night_only));

    // One evaluation, over slots spread through the table.
    let slots: Vec<u32> = (0..snap.len() as u32).step_by(101).collect();
    let at = tomorrow + 6 * 3600 + 1800;
    let mut i = 0;
    c.bench_function("hours_state_one_slot", |b| {
        b.iter(|| {
            i = (i + 1) % slots.len();
            snap.hours.state(black_box(slots[i]), black_box(at))
        })
    });
}

/// Runs every variant over all `origins` in each of `rounds` rounds (the order reversed every
/// other round), and prints each one's median time per query and the median over rounds of its
/// ratio to the first variant's time in the same round.
fn interleaved(variants: &[(&str, &Snapshot, &Filters)], origins: &[LonLat], rounds: usize) {
    let mut per_query: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); variants.len()];
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for v in order {
            let (_, snap, filters) = variants[v];
            let started = Instant::now();
            for &origin in origins {
                black_box(nearest(snap, black_box(origin), 10, None, filters));
            }
            per_query[v].push(started.elapsed().as_secs_f64() / origins.len() as f64);
        }
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    eprintln!("interleaved nearest k=10, {rounds} rounds of {} queries per variant:", origins.len());
    for (v, (name, _, _)) in variants.iter().enumerate() {
        let ratios: Vec<f64> = per_query[v].iter().zip(&per_query[0]).map(|(t, base)| t / base).collect();
        eprintln!(
            "  {name:<20} {:>7.2} µs  {:+6.1} % vs unfiltered",
            median(per_query[v].clone()) * 1e6,
            (median(ratios) - 1.0) * 100.0
        );
    }
}

criterion_group!(hours, benches);
criterion_main!(hours);

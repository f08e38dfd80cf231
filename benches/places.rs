//! Place autocomplete over the full bundled gazetteer (data/places.csv): the latency of one
//! search as a caller types, for a fixed, seeded mix of queries drawn from the gazetteer itself.
//!
//! `cargo bench --bench places` prints, besides criterion's figures, the latency percentiles
//! over every query of the mix (each timed as the median of several runs).

use bellmap::places::gazetteer;
use bellmap::places::search::{self, PlaceIndex};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The server's allocator (src/main.rs), so the memory layout measured is the one served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a caller types, in proportion: prefixes as they type (every length), whole names, names
/// with one or two typos, PIN code prefixes, and a country filter on some.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Prefix,
    Whole,
    OneTypo,
    TwoTypos,
    Pin,
}

struct Query {
    kind: Kind,
    text: String,
    country: Option<String>,
}

/// `n` queries from random places' names, seeded so every run times the same mix.
fn mix(n: usize) -> Vec<Query> {
    let places = &gazetteer::bundled().places;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let letters: Vec<char> = "abcdefghijklmnopqrstuvwxyz".chars().collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let place = &places[rng.random_range(0..places.len())];
        let names: Vec<&String> = std::iter::once(&place.name).chain(&place.alt_names).collect();
        let name: Vec<char> = names[rng.random_range(0..names.len())].chars().collect();
        let roll = rng.random_range(0..100);
        let (kind, text): (Kind, String) = if name.iter().all(char::is_ascii_digit) {
            (Kind::Pin, name[..rng.random_range(1..=name.len())].iter().collect())
        } else if roll < 55 {
            (Kind::Prefix, name[..rng.random_range(1..=name.len())].iter().collect())
        } else if roll < 75 {
            (Kind::Whole, name.iter().collect())
        } else {
            // Typos: substitute, insert or delete a letter at random positions.
            let typos = if roll < 90 || name.len() < 8 { 1 } else { 2 };
            let mut chars = name.clone();
            for _ in 0..typos {
                let at = rng.random_range(0..chars.len());
                let letter = letters[rng.random_range(0..letters.len())];
                match rng.random_range(0..3) {
                    0 => chars[at] = letter,
                    1 => chars.insert(at, letter),
                    _ if chars.len() > 1 => {
                        chars.remove(at);
                    }
                    _ => chars.push(letter),
                }
            }
            (if typos == 1 { Kind::OneTypo } else { Kind::TwoTypos }, chars.iter().collect())
        };
        let country = rng.random_bool(0.2).then(|| place.country.clone());
        out.push(Query { kind, text, country });
    }
    out
}

fn run(index: &PlaceIndex, q: &Query) -> usize {
    index.search(black_box(&q.text), 10, q.country.as_deref()).len()
}

/// The median of `runs` timings of one query.
fn median_time(index: &PlaceIndex, q: &Query, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            black_box(run(index, q));
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[runs / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(index: &PlaceIndex, queries: &[Query]) {
    let timed: Vec<(Duration, &Query)> = queries.iter().map(|q| (median_time(index, q, 7), q)).collect();
    let line = |label: &str, mut times: Vec<Duration>| {
        times.sort_unstable();
        eprintln!(
            "{label:>10}: {:>5} queries  p50 {:>7.1?}  p90 {:>7.1?}  p99 {:>7.1?}  max {:>7.1?}",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99),
            times[times.len() - 1],
        );
    };
    line("all", timed.iter().map(|(t, _)| *t).collect());
    for kind in [Kind::Prefix, Kind::Whole, Kind::OneTypo, Kind::TwoTypos, Kind::Pin] {
        let times: Vec<Duration> = timed.iter().filter(|(_, q)| q.kind == kind).map(|(t, _)| *t).collect();
        if !times.is_empty() {
            line(&format!("{kind:?}"), times);
        }
    }
    let mut slowest: Vec<&(Duration, &Query)> = timed.iter().collect();
    slowest.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    for (t, q) in slowest.iter().take(5) {
        eprintln!("   slowest: {t:>7.1?} {:?} {:?} country {:?}", q.kind, q.text, q.country);
    }
}

fn bench(c: &mut Criterion) {
    let started = Instant::now();
    let index = search::bundled();
    eprintln!("{} places indexed in {:.1?}", gazetteer::bundled().places.len(), started.elapsed());
    let queries = mix(5000);
    report(index, &queries);
    let mut group = c.benchmark_group("places");
    group.bench_function("autocomplete_mix_5000", |b| {
        b.iter(|| queries.iter().map(|q| run(index, q)).sum::<usize>())
    });
    for (label, text, country) in [
        ("one_letter_l", "l", None),
        ("one_letter_a_in_fiji", "a", Some("FJ")),
        ("pin_prefix_5", "5", None),
        ("prefix_luck", "Luck", None),
        ("one_typo", "Lucknoww", None),
        ("two_typos", "Thiruvanantapuran", None),
        ("no_match", "Qqqqxxxxzzzz", None),
    ] {
        group.bench_function(label, |b| b.iter(|| index.search(black_box(text), 10, country).len()));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);

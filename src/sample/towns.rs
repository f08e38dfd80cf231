//! The towns rows are placed in: a small GeoNames extract compiled into the binary
//! (`data/gazetteer.csv`, CC BY 4.0), and the population-weighted plan of which town each row gets.

use super::SampleError;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const GAZETTEER: &str = include_str!("../../data/gazetteer.csv");

/// Share of rows placed in India.
const INDIA_SHARE: f64 = 0.7;
/// Towns with no (or a tiny) population still get some weight.
const MIN_WEIGHT: u64 = 5_000;

pub(super) struct Town {
    pub(super) name: String,
    pub(super) country: String,
    pub(super) state: String,
    pub(super) lat: f64,
    pub(super) lon: f64,
    pub(super) population: u64,
}

pub(super) fn load_gazetteer() -> Result<Vec<Town>, SampleError> {
    let mut reader = csv::Reader::from_reader(GAZETTEER.as_bytes());
    let mut towns = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |message: String| SampleError::Gazetteer { line, message };
        if record.len() != 6 {
            return Err(bad(format!("expected 6 columns, found {}", record.len())));
        }
        let number = |i: usize| {
            record[i]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("'{}' is not a number", &record[i])))
        };
        let (lat, lon) = (number(3)?, number(4)?);
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(bad(format!("coordinates {lat},{lon} are out of range")));
        }
        let population = record[5]
            .parse::<u64>()
            .map_err(|_| bad(format!("population '{}' is not a whole number", &record[5])))?;
        towns.push(Town {
            name: record[0].to_string(),
            country: record[1].to_string(),
            state: record[2].to_string(),
            lat,
            lon,
            population,
        });
    }
    if towns.is_empty() {
        return Err(SampleError::Gazetteer { line: 1, message: "no towns".into() });
    }
    Ok(towns)
}

/// Population-weighted choice among some towns (integer weights, so the choice is portable).
struct Weighted {
    items: Vec<usize>,
    cumulative: Vec<u64>,
}

impl Weighted {
    fn new(items: Vec<usize>, towns: &[Town]) -> Self {
        let mut total = 0;
        let cumulative = items
            .iter()
            .map(|&i| {
                total += towns[i].population.max(MIN_WEIGHT);
                total
            })
            .collect();
        Weighted { items, cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().expect("a weighted group is never empty");
        let r = rng.random_range(0..total);
        self.items[self.cumulative.partition_point(|&c| c <= r)]
    }
}

/// Chooses the town of every row.
///
/// With enough rows (at least four times the guaranteed ones: 864 with the bundled gazetteer, so
/// always for the 2,500-row sample), a first pass gives every (country, state) pair one provider
/// (pairs are split at longitude 0, so Fiji gets points on both sides of 180°) and every Indian
/// state or union territory two more. The rest are about 70% India, 30% a uniformly chosen other
/// country, population-weighted within it. The order is shuffled so guaranteed rows are not bunched.
pub(super) fn plan_towns(towns: &[Town], count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut india = Vec::new();
    let mut india_states: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut others: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut groups: BTreeMap<(&str, &str, bool), Vec<usize>> = BTreeMap::new();
    for (i, t) in towns.iter().enumerate() {
        if t.country == "IN" {
            india.push(i);
            india_states.entry(&t.state).or_default().push(i);
        } else {
            others.entry(&t.country).or_default().push(i);
        }
        groups.entry((&t.country, &t.state, t.lon >= 0.0)).or_default().push(i);
    }
    const EXTRA_INDIA_ROUNDS: usize = 2;
    let guaranteed_len = groups.len() + EXTRA_INDIA_ROUNDS * india_states.len();

    let mut plan = Vec::with_capacity(count);
    if count >= 4 * guaranteed_len {
        for g in groups.into_values() {
            plan.push(Weighted::new(g, towns).pick(rng));
        }
        let states: Vec<Weighted> = india_states.into_values().map(|g| Weighted::new(g, towns)).collect();
        for _ in 0..EXTRA_INDIA_ROUNDS {
            for s in &states {
                plan.push(s.pick(rng));
            }
        }
    }

    let india_done = plan.iter().filter(|&&i| towns[i].country == "IN").count();
    let remaining = count - plan.len();
    let india_target = (count as f64 * INDIA_SHARE).round() as usize;
    let p_india = match (india.is_empty(), others.is_empty()) {
        (true, _) => 0.0,
        (false, true) => 1.0,
        _ if remaining == 0 => 0.0,
        _ => (india_target.saturating_sub(india_done) as f64 / remaining as f64).clamp(0.0, 1.0),
    };
    let india = (!india.is_empty()).then(|| Weighted::new(india, towns));
    let others: Vec<Weighted> = others.into_values().map(|g| Weighted::new(g, towns)).collect();
    for _ in 0..remaining {
        let town = match &india {
            Some(india) if rng.random_bool(p_india) => india.pick(rng),
            _ => others[rng.random_range(0..others.len() as u64) as usize].pick(rng),
        };
        plan.push(town);
    }

    for i in (1..plan.len()).rev() {
        let j = rng.random_range(0..=i as u64) as usize;
        plan.swap(i, j);
    }
    plan
}

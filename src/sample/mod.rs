//! Fictional sample providers in Bellmap's CSV import format.
//!
//! Used for the bundled `data/providers.csv` and for benchmarks. Every record says it is fictional,
//! and every phone number is one that cannot ring a real person (see [`is_fictional_phone`]). Towns
//! come from a small GeoNames extract compiled into the binary (`data/gazetteer.csv`, CC BY 4.0).
//!
//! The output depends only on `count` and `seed`: the generator is ChaCha8, integers are drawn from
//! `u64` ranges and the only floating-point functions used are basic arithmetic, `sqrt` and a
//! polynomial cosine, so the bytes are the same on every platform.

mod jitter;
mod phones;
mod row;
#[cfg(test)]
mod tests;
mod towns;

use crate::model::Column;
use phones::PhoneBook;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use row::make_row;
use towns::{load_gazetteer, plan_towns};

pub use phones::is_fictional_phone;

/// Why the sample could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("could not write the sample CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write the sample CSV: {0}")]
    Io(#[from] std::io::Error),
    #[error("the built-in gazetteer is invalid at line {line}: {message}")]
    Gazetteer { line: u64, message: String },
}

/// Writes `count` fictional providers as CSV in Bellmap's import format to `out`.
pub fn write_sample_csv<W: std::io::Write>(out: W, count: usize, seed: u64) -> Result<(), SampleError> {
    let towns = load_gazetteer()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let plan = plan_towns(&towns, count, &mut rng);
    let mut phones = PhoneBook::default();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
    // Every sample point is given as coordinates, so the optional location_precision column
    // (default exact) is left out and data/providers.csv stays as it was.
    writer.write_record(
        Column::ALL.into_iter().filter(|c| *c != Column::LocationPrecision).map(Column::name),
    )?;
    for (i, &t) in plan.iter().enumerate() {
        let row = make_row(i, count, &towns[t], &mut rng, &mut phones);
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// `count` sample providers as the store would load them, for tests and benches that never
/// store them: ids from 1, and a drawn public point for each confidential provider without one.
pub fn providers(count: usize, seed: u64) -> Vec<crate::model::Provider> {
    use crate::model::{Provider, ProviderId};
    let mut csv = Vec::new();
    write_sample_csv(&mut csv, count, seed).expect("the sample writes to memory");
    let now = time::OffsetDateTime::now_utc();
    let mut records = Vec::with_capacity(count);
    let parsed = crate::ingest::parse_csv_with(&csv, &mut |row, _| {
        let id = ProviderId(records.len() as i64 + 1);
        let drawn_public = (row.data.confidential && row.data.public_location.is_none()).then(|| {
            crate::public_point::draw(*row.data.location.reveal(), &row.data.country, &mut rand::rng()).point
        });
        records.push(Provider { id, data: row.data, drawn_public, created_at: now, updated_at: now });
    });
    assert!(parsed.problems.is_empty(), "the sample parses: {:?}", parsed.problems.first());
    records
}

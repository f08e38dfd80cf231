//! Stored public points (DESIGN §6): a confidential provider without an admin-chosen point gets
//! one drawn once and stored with the record; it is kept through edits of other fields and
//! through switching the flag off and on, drawn again only when the exact point moves by more
//! than the minimum distance (or the stored point no longer fits the rule) or an admin asks, and
//! every draw is audited. The rule itself is `crate::public_point`.

use super::audit::{write_audit, write_audits};
use super::changes::{self, Wrote};
use super::rows::ProviderRow;
use super::schema::providers;
use super::{AnyConnection, write_transaction};
use super::{Db, DbError};
use crate::model::LonLat;
use crate::public_point::{self, MIN_M};
use diesel::prelude::*;

fn exact(row: &ProviderRow) -> LonLat {
    LonLat { lon: row.fields.lon, lat: row.fields.lat }
}

fn needs_point(row: &ProviderRow) -> bool {
    row.fields.confidential && row.fields.public_lat.is_none()
}

/// Draws a new point into `row`; returns the rule that produced it (to audit).
fn draw(row: &mut ProviderRow) -> &'static str {
    let d = public_point::draw(exact(row), &row.fields.country, &mut rand::rng());
    row.drawn_lat = Some(d.point.lat);
    row.drawn_lon = Some(d.point.lon);
    d.rule
}

/// Sets the drawn point of `new` (about to be written): all of `before`'s unless the exact
/// point moved by more than [`MIN_M`] or the point no longer fits; a fresh draw when the record
/// needs one and kept none. A record that is not confidential keeps its point for later.
/// Returns the rule of a fresh draw, to audit.
pub(super) fn settle(before: Option<&ProviderRow>, new: &mut ProviderRow) -> Option<&'static str> {
    let at = exact(new);
    let kept = before.and_then(|old| {
        let moved = exact(old).distance_m(at);
        old.drawn().filter(|p| moved <= MIN_M && public_point::keeps(at, *p))
    });
    new.drawn_lat = kept.map(|p| p.lat);
    new.drawn_lon = kept.map(|p| p.lon);
    (kept.is_none() && needs_point(new)).then(|| draw(new))
}

pub(super) fn audit_draw(conn: &mut AnyConnection, actor: &str, id: i64, rule: &str) -> QueryResult<usize> {
    write_audit(conn, actor, "public_point.draw", &format!("provider {id}: public point drawn ({rule})"), 1)
}

/// Audits the draws `(provider id, rule)` of one import batch, in multi-row inserts.
pub(super) fn audit_draws(conn: &mut AnyConnection, actor: &str, draws: &[(i64, &str)]) -> QueryResult<()> {
    let entries: Vec<(String, i64)> =
        draws.iter().map(|(id, rule)| (format!("provider {id}: public point drawn ({rule})"), 1)).collect();
    write_audits(conn, actor, "public_point.draw", &entries)
}

fn store(conn: &mut AnyConnection, row: &ProviderRow) -> QueryResult<usize> {
    diesel::update(providers::table.find(row.id))
        .set((
            providers::public_lat.eq(row.fields.public_lat),
            providers::public_lon.eq(row.fields.public_lon),
            providers::drawn_lat.eq(row.drawn_lat),
            providers::drawn_lon.eq(row.drawn_lon),
        ))
        .execute(conn)
}

/// Gives every confidential provider that has no usable public point a drawn one: those stored
/// before points were stored, and those whose admin-chosen point lies within [`MIN_M`] of the
/// exact point (allowed before the rule existed; it is replaced, and the audit says so).
/// Runs at every start, after the migrations, in one transaction; returns how many it drew.
pub(super) fn draw_missing(conn: &mut AnyConnection, actor: &str) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        // Every start runs this: the points alone say which rows need work (nearly always
        // none), so the rest of a row is read only for those, not for each admin-placed one.
        type Points = (i64, f64, f64, Option<f64>, Option<f64>, Option<f64>, Option<f64>);
        let points: Vec<Points> = providers::table
            .filter(providers::confidential.eq(true))
            .filter(providers::drawn_lat.is_null().or(providers::public_lat.is_not_null()))
            .select((
                providers::id,
                providers::lat,
                providers::lon,
                providers::public_lat,
                providers::public_lon,
                providers::drawn_lat,
                providers::drawn_lon,
            ))
            .load(conn)?;
        let ids: Vec<i64> = points
            .into_iter()
            .filter(|&(_, lat, lon, public_lat, public_lon, drawn_lat, drawn_lon)| {
                let admin = public_lat.zip(public_lon).map(|(lat, lon)| LonLat { lon, lat });
                drawn_lat.zip(drawn_lon).is_none()
                    || admin.is_some_and(|p| p.distance_m(LonLat { lon, lat }) < MIN_M)
            })
            .map(|(id, ..)| id)
            .collect();
        let mut rows: Vec<ProviderRow> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            rows.extend(
                providers::table
                    .filter(providers::id.eq_any(chunk))
                    .order(providers::id)
                    .select(ProviderRow::as_select())
                    .load::<ProviderRow>(conn)?,
            );
        }
        let mut drawn = Vec::new();
        for mut row in rows {
            let admin =
                row.fields.public_lat.zip(row.fields.public_lon).map(|(lat, lon)| LonLat { lon, lat });
            let too_close = admin.is_some_and(|p| p.distance_m(exact(&row)) < MIN_M);
            if too_close {
                row.fields.public_lat = None;
                row.fields.public_lon = None;
                write_audit(
                    conn,
                    actor,
                    "public_point.replace",
                    &format!("provider {}: admin public point was within 2 km of the exact point", row.id),
                    1,
                )?;
            } else if !needs_point(&row) || row.drawn().is_some() {
                continue;
            }
            let rule = draw(&mut row);
            store(conn, &row)?;
            audit_draw(conn, actor, row.id, rule)?;
            drawn.push(row.id);
        }
        if !drawn.is_empty() {
            changes::bump(conn, Wrote::Rows(&drawn))?;
        }
        Ok(drawn.len())
    })
}

impl Db {
    pub(super) fn draw_missing_public_points(&self) -> Result<usize, DbError> {
        let mut conn = self.pool.get()?;
        Ok(draw_missing(&mut conn, "migration")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::audit_log;

    /// A database holding one confidential provider per row of `csv`, written as rows stored
    /// before public points existed: no drawn point.
    fn legacy_db(csv: &str) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db").display().to_string()).unwrap();
        let mut conn = db.pool.get().unwrap();
        for row in crate::ingest::parse_csv(csv.as_bytes()).rows {
            let now = super::super::rows::now_text();
            diesel::insert_into(providers::table)
                .values((
                    super::super::rows::ProviderFields::from(&row.data),
                    providers::created_at.eq(&now),
                    providers::updated_at.eq(&now),
                ))
                .execute(&mut conn)
                .unwrap();
        }
        (dir, db)
    }

    fn stored(db: &Db) -> Vec<ProviderRow> {
        let mut conn = db.pool.get().unwrap();
        providers::table.order(providers::id).select(ProviderRow::as_select()).load(&mut conn).unwrap()
    }

    #[test]
    fn opening_a_database_draws_missing_points_and_replaces_admin_points_too_close() {
        let (_dir, db) = legacy_db(
            "external_id,name,categories,lat,lon,country,confidential,public_lat,public_lon\n\
             a,Sample A,shelter,26.861234,80.913711,IN,true,,\n\
             b,Sample B,shelter,26.808813,80.992147,IN,true,,\n\
             c,Sample C,shelter,26.75,80.85,IN,true,26.79,81.02\n\
             d,Sample D,legal_aid,26.85,80.95,IN,false,,\n",
        );
        // An admin point 50 m away, as was allowed before the rule existed.
        diesel::update(providers::table.filter(providers::external_id.eq("b")))
            .set((providers::public_lat.eq(26.8090), providers::public_lon.eq(80.9925)))
            .execute(&mut db.pool.get().unwrap())
            .unwrap();
        assert!(stored(&db).iter().all(|r| r.drawn().is_none()));
        let seq = db.change_seq().unwrap();
        assert_eq!(db.draw_missing_public_points().unwrap(), 2, "a (no point) and b (admin point 50 m away)");
        assert_eq!(db.change_seq().unwrap(), seq + 1, "the draws are one committed change");
        let rows = stored(&db);
        for row in &rows[..2] {
            let d = exact(row).distance_m(row.drawn().expect("drawn"));
            assert!(d >= MIN_M, "{}: {d} m", row.fields.external_id);
        }
        assert_eq!(rows[1].fields.public_lat, None, "the unsafe admin point is gone");
        assert_eq!(
            (rows[2].fields.public_lat, rows[2].drawn()),
            (Some(26.79), None),
            "a safe admin point stays"
        );
        assert_eq!(rows[3].drawn(), None, "ordinary providers get no point");

        let mut conn = db.pool.get().unwrap();
        let actions: Vec<String> = audit_log::table.select(audit_log::action).load(&mut conn).unwrap();
        assert_eq!(actions.iter().filter(|a| *a == "public_point.draw").count(), 2);
        assert_eq!(actions.iter().filter(|a| *a == "public_point.replace").count(), 1);

        // Opening again changes nothing: every point is stored.
        drop(conn);
        assert_eq!(db.draw_missing_public_points().unwrap(), 0);
        assert_eq!(stored(&db), rows);
    }
}

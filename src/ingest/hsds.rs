//! The HSDS 3.0 tabular data package: one CSV file per HSDS object and a `datapackage.json`
//! describing them, written from provider records and read back into the CSV import format, so
//! an import of a package goes through the same validation as any CSV and every problem names
//! the package's file, line and column.
//!
//! Two views. The default is a **publication**: active providers only, as the public sees them
//! (a confidential provider at its public point, with no address, locality, postal code or
//! intake phone; no external ids; no intake phone for anyone). `include_confidential` is an
//! admin's **backup**: every provider, any status, every field, plus the Bellmap fields HSDS has
//! no member for (external id, stored public point, the hours as written) as attributes, so that
//! importing it into an empty database gives back the same records.

use super::export::{csv_row_of_fields, to_fields};
use super::problem::{Code, RowProblem, problem};
use crate::hsds::ids::{self, Taxonomy};
use crate::hsds::schedule::{self, DAYS};
use crate::hsds::{APPROXIMATE, EXACT_BACKUP, FIELD_TERMS};
use crate::model::{Category, Column, Provider, Status};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("could not write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("could not write a CSV row of {path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// The package's tables: (file, HSDS object name, columns).
pub const TABLES: [(&str, &str, &[&str]); 11] = [
    ("organizations.csv", "organization", &["id", "name", "description"]),
    (
        "services.csv",
        "service",
        &[
            "id",
            "organization_id",
            "name",
            "description",
            "url",
            "email",
            "status",
            "fees_description",
            "eligibility_description",
            "assured_date",
            "last_modified",
        ],
    ),
    (
        "locations.csv",
        "location",
        &["id", "location_type", "organization_id", "name", "description", "latitude", "longitude"],
    ),
    ("service_at_location.csv", "service_at_location", &["id", "service_id", "location_id"]),
    (
        "addresses.csv",
        "address",
        &[
            "id",
            "location_id",
            "address_1",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ],
    ),
    ("phones.csv", "phone", &["id", "service_id", "number", "type", "description"]),
    (
        "schedules.csv",
        "schedule",
        &["id", "service_id", "freq", "wkst", "byday", "opens_at", "closes_at", "description"],
    ),
    ("languages.csv", "language", &["id", "service_id", "code"]),
    (
        "attributes.csv",
        "attribute",
        &["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"],
    ),
    ("taxonomies.csv", "taxonomy", &["id", "name", "description", "version"]),
    (
        "taxonomy_terms.csv",
        "taxonomy_term",
        &["id", "code", "name", "description", "language", "taxonomy_id"],
    ),
];

/// Phones by the provider column they come from: (column, type, description).
const PHONES: [(Column, &str, &str); 4] = [
    (Column::Phone, "voice", "Main number"),
    (Column::Hotline, "voice", "Hotline"),
    (Column::Sms, "text", "SMS"),
    (Column::IntakePhone, "voice", "Intake (confidential)"),
];

/// Writes a package into a directory, provider by provider.
pub struct PackageWriter {
    dir: PathBuf,
    exact: bool,
    writers: Vec<csv::Writer<BufWriter<File>>>,
    /// Organizations written, with the name written.
    organizations: HashMap<uuid::Uuid, String>,
    written: usize,
}

fn table(file: &str) -> usize {
    TABLES.iter().position(|(f, _, _)| *f == file).unwrap_or(0)
}

impl PackageWriter {
    /// Creates `dir` (if needed) and the package's files in it; `exact`: the admin's backup.
    pub fn create(dir: &Path, exact: bool) -> Result<PackageWriter, PackageError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| PackageError::Io { path: path.clone(), source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut writers = Vec::new();
        for (file, _, columns) in TABLES {
            let path = dir.join(file);
            let f = File::create(&path).map_err(io(&path))?;
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(BufWriter::new(f));
            w.write_record(columns).map_err(|source| PackageError::Csv { path: file.into(), source })?;
            writers.push(w);
        }
        let mut writer = PackageWriter {
            dir: dir.to_path_buf(),
            exact,
            writers,
            organizations: HashMap::new(),
            written: 0,
        };
        for t in Taxonomy::ALL {
            let (name, description) = crate::hsds::taxonomy_text(t);
            writer.row("taxonomies.csv", &[&t.id().to_string(), name, description, "1"])?;
        }
        for lang in ["en", "hi"] {
            for c in Category::ALL {
                let (name, taxonomy) = if lang == "hi" {
                    (c.label_hi(), Taxonomy::CategoriesHi)
                } else {
                    (c.label_en(), Taxonomy::CategoriesEn)
                };
                let description = format!("{} ({})", c.label_en(), c.slug());
                let id = ids::category_term(c, lang).to_string();
                writer.row(
                    "taxonomy_terms.csv",
                    &[&id, c.slug(), name, &description, lang, &taxonomy.id().to_string()],
                )?;
            }
        }
        for (code, name, description) in FIELD_TERMS {
            let id = ids::attribute_term(code).to_string();
            writer.row(
                "taxonomy_terms.csv",
                &[&id, code, name, description, "en", &Taxonomy::Attributes.id().to_string()],
            )?;
        }
        Ok(writer)
    }

    fn row(&mut self, file: &str, cells: &[&str]) -> Result<(), PackageError> {
        self.writers[table(file)]
            .write_record(cells)
            .map_err(|source| PackageError::Csv { path: file.into(), source })
    }

    /// Writes one provider's objects; a publication leaves out inactive providers (and a
    /// confidential one without a public point, which no public answer shows).
    pub fn write(&mut self, p: &Provider) -> Result<(), PackageError> {
        let mut f = to_fields(&p.data);
        if !self.exact {
            let Some(point) = p.public_point().filter(|_| p.data.status == Status::Active) else {
                return Ok(());
            };
            // The public view: withheld members blank, the public point, no stored points or key.
            if p.data.confidential {
                for c in [Column::Address, Column::Locality, Column::PostalCode] {
                    f.insert(c, String::new());
                }
            }
            for c in [Column::IntakePhone, Column::PublicLat, Column::PublicLon, Column::ExternalId] {
                f.insert(c, String::new());
            }
            f.insert(Column::Lat, point.lat.to_string());
            f.insert(Column::Lon, point.lon.to_string());
            if p.data.confidential {
                f.insert(Column::LocationPrecision, "approximate".into());
            }
        }
        let get = |c: Column| f.get(&c).map_or("", String::as_str);
        let id = p.id;
        let service = ids::service(id).to_string();
        let location = ids::location(id).to_string();
        // The name as this record spells it, where its organization was written spelled otherwise.
        let mut spelled: Option<String> = None;
        let organization = match get(Column::Organization) {
            "" => String::new(),
            name => {
                let org = ids::organization(Some(name), id);
                match self.organizations.get(&org) {
                    Some(written) => {
                        if written != name && self.exact {
                            spelled = Some(name.to_string());
                        }
                    }
                    None => {
                        let description = crate::hsds::ORGANIZATION_DESCRIPTION;
                        self.row("organizations.csv", &[&org.to_string(), name, description])?;
                        self.organizations.insert(org, name.to_string());
                    }
                }
                org.to_string()
            }
        };
        let updated = p.updated_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let status = if p.data.status == Status::Active { "active" } else { "inactive" };
        self.row(
            "services.csv",
            &[
                &service,
                &organization,
                get(Column::Name),
                get(Column::Description),
                get(Column::Website),
                get(Column::Email),
                status,
                get(Column::Cost),
                get(Column::Eligibility),
                get(Column::VerifiedOn),
                &updated,
            ],
        )?;
        let description = match (p.data.confidential, self.exact) {
            (false, _) => "",
            (true, false) => APPROXIMATE,
            (true, true) => EXACT_BACKUP,
        };
        self.row(
            "locations.csv",
            &[
                &location,
                "physical",
                &organization,
                get(Column::Name),
                description,
                get(Column::Lat),
                get(Column::Lon),
            ],
        )?;
        let sal = ids::service_at_location(id).to_string();
        self.row("service_at_location.csv", &[&sal, &service, &location])?;
        let address = ids::part(id, "address").to_string();
        self.row(
            "addresses.csv",
            &[
                &address,
                &location,
                get(Column::Address),
                get(Column::Locality),
                get(Column::District),
                get(Column::State),
                get(Column::PostalCode),
                get(Column::Country),
                "physical",
            ],
        )?;
        for (column, kind, description) in PHONES {
            let number = get(column);
            if !number.is_empty() {
                let phone = ids::part(id, &format!("phone:{column}")).to_string();
                self.row("phones.csv", &[&phone, &service, number, kind, description])?;
            }
        }
        let hours = get(Column::Hours);
        let open_24_7 = get(Column::Open247) == "true";
        if !hours.is_empty() || open_24_7 {
            let t = schedule::translate(hours, open_24_7);
            let original = if t.complete { "" } else { hours };
            if t.rows.is_empty() {
                let sid = ids::part(id, "schedule:0").to_string();
                self.row("schedules.csv", &[&sid, &service, "", "", "", "", "", original])?;
            }
            for (i, r) in t.rows.iter().enumerate() {
                let sid = ids::part(id, &format!("schedule:{i}")).to_string();
                let byday = r.days.iter().map(|d| DAYS[*d]).collect::<Vec<_>>().join(",");
                let (opens, closes) = (schedule::clock(r.opens), schedule::clock(r.closes));
                self.row(
                    "schedules.csv",
                    &[&sid, &service, "WEEKLY", "MO", &byday, &opens, &closes, original],
                )?;
            }
        }
        for code in get(Column::Languages).split(';').filter(|c| !c.is_empty()) {
            let lid = ids::part(id, &format!("language:{code}")).to_string();
            self.row("languages.csv", &[&lid, &service, code])?;
        }
        for slug in get(Column::Categories).split(';').filter(|c| !c.is_empty()) {
            let Ok(c) = slug.parse::<Category>() else { continue };
            for lang in ["en", "hi"] {
                let term = ids::category_term(c, lang).to_string();
                let aid = ids::part(id, &format!("attribute:service:{slug}:{lang}")).to_string();
                self.row("attributes.csv", &[&aid, &service, &term, "category", "service", slug])?;
            }
        }
        let mut fields: Vec<(&str, Column, &str)> = vec![
            ("open_24_7", Column::Open247, "service"),
            ("wheelchair", Column::Wheelchair, "service"),
            ("verified_on", Column::VerifiedOn, "service"),
            ("confidential", Column::Confidential, "service"),
            ("hours", Column::Hours, "service"),
            ("location_precision", Column::LocationPrecision, "location"),
        ];
        if self.exact {
            fields.extend([
                ("external_id", Column::ExternalId, "service"),
                ("public_lat", Column::PublicLat, "location"),
                ("public_lon", Column::PublicLon, "location"),
            ]);
        }
        if let Some(name) = &spelled {
            f.insert(Column::Organization, name.clone());
            fields.push(("organization", Column::Organization, "service"));
        }
        let get = |c: Column| f.get(&c).map_or("", String::as_str);
        for (code, column, entity) in fields {
            if code == "organization" && spelled.is_none() {
                continue;
            }
            let value = get(column);
            if value.is_empty() {
                continue;
            }
            let link = if entity == "service" { &service } else { &location };
            let aid = ids::part(id, &format!("attribute:{entity}:{code}:en")).to_string();
            let term = ids::attribute_term(code).to_string();
            self.row("attributes.csv", &[&aid, link, &term, "bellmap_field", entity, value])?;
        }
        self.written += 1;
        Ok(())
    }

    /// Flushes every file and writes `datapackage.json`; returns how many providers were written.
    pub fn finish(mut self) -> Result<usize, PackageError> {
        for (w, (file, _, _)) in self.writers.iter_mut().zip(TABLES) {
            w.flush().map_err(|source| PackageError::Io { path: file.into(), source })?;
        }
        let resources: Vec<serde_json::Value> = TABLES
            .iter()
            .map(|(file, name, columns)| {
                let fields: Vec<serde_json::Value> = columns
                    .iter()
                    .map(|c| {
                        let kind = match *c {
                            "latitude" | "longitude" => "number",
                            "last_modified" => "datetime",
                            "assured_date" => "date",
                            _ => "string",
                        };
                        serde_json::json!({"name": c, "type": kind})
                    })
                    .collect();
                serde_json::json!({
                    "name": name,
                    "path": file,
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "schema": {"fields": fields, "primaryKey": "id"},
                })
            })
            .collect();
        let package = serde_json::json!({
            "name": if self.exact { "bellmap-hsds-backup" } else { "bellmap-hsds" },
            "title": if self.exact {
                "Bellmap directory, HSDS 3.0, every field (confidential: an admin's backup, never to be published)"
            } else {
                "Bellmap directory, HSDS 3.0, public view"
            },
            "profile": "tabular-data-package",
            "resources": resources,
        });
        let path = self.dir.join("datapackage.json");
        let text = serde_json::to_string_pretty(&package).unwrap_or_default();
        std::fs::write(&path, text + "\n")
            .map_err(|source| PackageError::Io { path: path.display().to_string(), source })?;
        Ok(self.written)
    }
}

/// Where a cell of the CSV a package becomes came from: (file, line, column).
pub type Origin = (String, u64, String);

/// A package read back: the CSV the importer validates, and where each of its cells came from.
pub struct ReadPackage {
    pub csv: Vec<u8>,
    /// Per CSV data row (line 2 first): the services.csv line and each column's origin.
    origins: Vec<(u64, HashMap<Column, Origin>)>,
}

impl ReadPackage {
    /// The problem as the package's file, line and column name it (`services.csv:name`).
    pub fn locate(&self, mut p: RowProblem) -> RowProblem {
        let Some((service_line, cells)) = p.line.checked_sub(2).and_then(|i| self.origins.get(i as usize))
        else {
            return p;
        };
        let column = p.column.as_deref().and_then(Column::from_header);
        match column.and_then(|c| cells.get(&c)) {
            Some((file, line, name)) => {
                p.line = *line;
                p.column = Some(format!("{file}:{name}"));
            }
            None => {
                p.line = *service_line;
                p.column = p.column.map(|c| format!("services.csv (Bellmap column {c})"));
            }
        }
        p
    }
}

/// One row of a table: its line and its cells by column name.
type TableRow = (u64, HashMap<String, String>);

/// One table: its rows with their lines, cells by column name.
struct Table {
    rows: Vec<TableRow>,
}

impl Table {
    fn read(dir: &Path, file: &'static str, required: bool, problems: &mut Vec<RowProblem>) -> Table {
        let mut table = Table { rows: Vec::new() };
        let path = dir.join(file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(_) if !required => return table,
            Err(e) => {
                problems.push(problem(
                    0,
                    Some(file),
                    None,
                    Code::MissingColumn,
                    format!("the package has no {file}: {e}"),
                ));
                return table;
            }
        };
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes.as_slice());
        let headers = match reader.headers() {
            Ok(h) => h.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect::<Vec<_>>(),
            Err(e) => {
                problems.push(problem(1, Some(file), None, Code::NotCsv, format!("{file} is not CSV: {e}")));
                return table;
            }
        };
        let columns = TABLES.iter().find(|(f, _, _)| *f == file).map_or(&[][..], |(_, _, c)| *c);
        for c in columns.iter().filter(|c| ["id", "service_id", "location_id", "name"].contains(c)) {
            if !headers.iter().any(|h| h == c) {
                problems.push(problem(
                    1,
                    Some(&format!("{file}:{c}")),
                    None,
                    Code::MissingColumn,
                    format!("{file} has no {c} column"),
                ));
            }
        }
        for record in reader.records() {
            match record {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line());
                    let cells = headers.iter().cloned().zip(r.iter().map(str::to_string)).collect();
                    table.rows.push((line, cells));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    problems.push(problem(
                        line,
                        Some(file),
                        None,
                        Code::WrongCellCount,
                        format!("{file}: {e}"),
                    ));
                }
            }
        }
        table
    }

    /// Rows by the value of `key`, in file order.
    fn by<'t>(&'t self, key: &str) -> HashMap<&'t str, Vec<&'t TableRow>> {
        let mut out: HashMap<&str, Vec<_>> = HashMap::new();
        for row in &self.rows {
            if let Some(v) = row.1.get(key) {
                out.entry(v.as_str()).or_default().push(row);
            }
        }
        out
    }
}

/// One provider's columns as read, and where each came from.
#[derive(Default)]
struct Cells {
    f: BTreeMap<Column, String>,
    from: HashMap<Column, Origin>,
}

impl Cells {
    fn set(&mut self, c: Column, v: &str, file: &str, line: u64, name: &str) {
        self.f.insert(c, v.to_string());
        self.from.insert(c, (file.to_string(), line, name.to_string()));
    }
}

/// Reads the package in `dir` into the CSV import format. Problems of the package's shape (a
/// missing file or column, a reference to an object that is not there) are returned as they
/// are; the values are left to the importer's validation.
pub fn read_package(dir: &Path) -> Result<ReadPackage, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let services = Table::read(dir, "services.csv", true, &mut problems);
    let organizations = Table::read(dir, "organizations.csv", false, &mut problems);
    let locations = Table::read(dir, "locations.csv", true, &mut problems);
    let sals = Table::read(dir, "service_at_location.csv", true, &mut problems);
    let addresses = Table::read(dir, "addresses.csv", false, &mut problems);
    let phones = Table::read(dir, "phones.csv", false, &mut problems);
    let languages = Table::read(dir, "languages.csv", false, &mut problems);
    let attributes = Table::read(dir, "attributes.csv", false, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let orgs = organizations.by("id");
    let locs = locations.by("id");
    let sal_by_service = sals.by("service_id");
    let addr_by_location = addresses.by("location_id");
    let phones_by_service = phones.by("service_id");
    let langs_by_service = languages.by("service_id");
    let attrs_by_link = attributes.by("link_id");
    let category_terms: HashMap<String, &'static str> = Category::ALL
        .into_iter()
        .flat_map(|c| ["en", "hi"].map(|l| (ids::category_term(c, l).to_string(), c.slug())))
        .collect();
    let field_terms: HashMap<String, &'static str> =
        FIELD_TERMS.iter().map(|(code, _, _)| (ids::attribute_term(code).to_string(), *code)).collect();

    let mut csv = super::csv_header_line();
    let mut origins = Vec::new();
    for (line, s) in &services.rows {
        let mut cells = Cells::default();
        let cell = |row: &HashMap<String, String>, k: &str| row.get(k).cloned().unwrap_or_default();
        let sid = cell(s, "id");
        for (col, name) in [
            (Column::Name, "name"),
            (Column::Description, "description"),
            (Column::Website, "url"),
            (Column::Email, "email"),
            (Column::Status, "status"),
            (Column::Cost, "fees_description"),
            (Column::Eligibility, "eligibility_description"),
            (Column::VerifiedOn, "assured_date"),
        ] {
            cells.set(col, &cell(s, name), "services.csv", *line, name);
        }
        let org_id = cell(s, "organization_id");
        if !org_id.is_empty() {
            match orgs.get(org_id.as_str()).and_then(|r| r.first()) {
                Some((l, o)) => {
                    cells.set(Column::Organization, &cell(o, "name"), "organizations.csv", *l, "name")
                }
                None => problems.push(problem(
                    *line,
                    Some("services.csv:organization_id"),
                    Some(&org_id),
                    Code::Required,
                    "no organization in organizations.csv has this id",
                )),
            }
        }
        let location = sal_by_service.get(sid.as_str()).and_then(|rows| rows.first()).and_then(|(_, sal)| {
            locs.get(cell(sal, "location_id").as_str()).and_then(|r| r.first().copied())
        });
        let Some((loc_line, loc)) = location else {
            problems.push(problem(
                *line,
                Some("services.csv:id"),
                Some(&sid),
                Code::Required,
                "no service_at_location links this service to a location in locations.csv",
            ));
            continue;
        };
        let loc_id = cell(loc, "id");
        cells.set(Column::Lat, &cell(loc, "latitude"), "locations.csv", *loc_line, "latitude");
        cells.set(Column::Lon, &cell(loc, "longitude"), "locations.csv", *loc_line, "longitude");
        if let Some((l, a)) = addr_by_location.get(loc_id.as_str()).and_then(|r| r.first()) {
            for (col, name) in [
                (Column::Address, "address_1"),
                (Column::Locality, "city"),
                (Column::District, "region"),
                (Column::State, "state_province"),
                (Column::PostalCode, "postal_code"),
                (Column::Country, "country"),
            ] {
                cells.set(col, &cell(a, name), "addresses.csv", *l, name);
            }
        }
        for (l, ph) in phones_by_service.get(sid.as_str()).into_iter().flatten() {
            let description = cell(ph, "description");
            let column = PHONES.iter().find(|(_, _, d)| *d == description).map(|(c, _, _)| *c);
            // A phone Bellmap did not write: the first free of phone, hotline, sms.
            let column = column.or_else(|| {
                [Column::Phone, Column::Hotline, Column::Sms].into_iter().find(|c| !cells.f.contains_key(c))
            });
            if let Some(c) = column {
                cells.set(c, &cell(ph, "number"), "phones.csv", *l, "number");
            }
        }
        let langs: Vec<(u64, String)> = langs_by_service
            .get(sid.as_str())
            .into_iter()
            .flatten()
            .map(|(l, r)| (*l, cell(r, "code")))
            .collect();
        if let Some((l, _)) = langs.first() {
            let joined = langs.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>().join(";");
            cells.set(Column::Languages, &joined, "languages.csv", *l, "code");
        }
        let mut categories: Vec<&str> = Vec::new();
        let mut category_line = None;
        for link in [&sid, &loc_id] {
            for (l, a) in attrs_by_link.get(link.as_str()).into_iter().flatten() {
                let term = cell(a, "taxonomy_term_id");
                if let Some(slug) = category_terms.get(&term) {
                    if !categories.contains(slug) {
                        categories.push(slug);
                    }
                    category_line.get_or_insert(*l);
                } else if let Some(code) = field_terms.get(&term) {
                    let col = Column::from_header(code);
                    if let Some(c) = col {
                        cells.set(c, &cell(a, "value"), "attributes.csv", *l, "value");
                    }
                }
            }
        }
        if let Some(l) = category_line {
            cells.set(Column::Categories, &categories.join(";"), "attributes.csv", l, "taxonomy_term_id");
        }
        if !cells.f.contains_key(&Column::ExternalId) {
            // A publication has no keys: the service id is a stable one.
            cells.set(Column::ExternalId, &format!("hsds-{sid}"), "services.csv", *line, "id");
        }
        csv.extend_from_slice(&csv_row_of_fields(&cells.f));
        origins.push((*line, cells.from));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ReadPackage { csv, origins })
}

/// Whether `path` is an HSDS package: a directory with a `datapackage.json` or `services.csv`.
pub fn is_package(path: &Path) -> bool {
    path.is_dir() && (path.join("datapackage.json").is_file() || path.join("services.csv").is_file())
}

//! The map page at `/` and everything it loads, all compiled into the binary so that the page
//! works offline and loads nothing from a third party: our own HTML, CSS and JavaScript (`web/`),
//! Leaflet (from `web/node_modules`, when `build.rs` found it), the basemap outlines
//! (`data/boundaries`) and `/config.json` with the operator's settings.

use super::AppState;
use super::problem::ApiError;
use crate::basemap::{COUNTRIES_GEOJSON, INDIA_STATES_GEOJSON};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Compress;
use actix_web::{HttpResponse, web};
use serde::Serialize;

// `LEAFLET_BUNDLED` and `LEAFLET_FILES`, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/leaflet_assets.rs"));

const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const I18N_JS: &str = include_str!("../../web/i18n.js");
const STYLE_CSS: &str = include_str!("../../web/style.css");

/// Served at `/` when the binary was built without Leaflet.
const NO_LEAFLET_HTML: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bellmap</title></head>
<body>
<main>
<h1>Bellmap</h1>
<p>This server was built without the map library (Leaflet), so the map page is not available.
To add it, install Node.js and npm, run <code>npm ci</code> in the <code>web/</code> folder, then
rebuild (<code>cargo build --release</code>).</p>
<p>The API works as usual: see <a href="/docs/">/docs/</a>.</p>
<p>In India, in an emergency, call <a href="tel:112">112</a>; Women Helpline <a href="tel:181">181</a>.</p>
</main>
</body>
</html>
"#;

/// Where "Quick exit" goes unless the operator chooses another page.
pub const DEFAULT_EXIT_URL: &str = "https://www.google.com/search?q=weather";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
/// Our own files change with each build: the browser revalidates them.
const REVALIDATE: &str = "no-cache";
/// Leaflet and the outlines change rarely.
const ONE_DAY: &str = "public, max-age=86400";

/// The operator's settings for the map page, checked once at start-up.
#[derive(Debug, Clone)]
pub struct PageSettings {
    /// Leaflet tile URL template, when the operator configured raster tiles.
    pub tile_url: Option<String>,
    pub tile_attribution: Option<String>,
    /// Where "Quick exit" goes.
    pub exit_url: String,
    /// The content security policy of every page (the map and /docs).
    pub csp: HeaderValue,
}

impl PageSettings {
    /// Checks the settings: the tile URL and the exit URL must be http(s). The tile URL's origin
    /// is added to the pages' `img-src`.
    pub fn new(
        tile_url: Option<&str>,
        tile_attribution: Option<&str>,
        exit_url: &str,
    ) -> Result<PageSettings, String> {
        let tile_url = tile_url.map(str::trim).filter(|u| !u.is_empty());
        let origin = match tile_url {
            Some(url) => Some(tile_origin(url).map_err(|e| format!("BELLMAP_TILE_URL '{url}' {e}"))?),
            None => None,
        };
        let exit_url = exit_url.trim();
        http_origin(exit_url).map_err(|e| format!("BELLMAP_EXIT_URL '{exit_url}' {e}"))?;
        let csp = HeaderValue::from_str(&page_csp(origin.as_deref()))
            .map_err(|_| "the tile URL cannot be used in a content security policy".to_string())?;
        Ok(PageSettings {
            tile_url: tile_url.map(str::to_string),
            tile_attribution: tile_attribution.map(str::trim).filter(|a| !a.is_empty()).map(str::to_string),
            exit_url: exit_url.to_string(),
            csp,
        })
    }
}

/// The pages' content security policy: scripts, styles, data and images from this server only
/// (plus the tile origin for images, when tiles are configured); no framing.
/// Styles allow 'unsafe-inline' because Leaflet and Swagger UI set `style` attributes.
pub fn page_csp(tile_origin: Option<&str>) -> String {
    let img = match tile_origin {
        Some(origin) => format!("'self' data: {origin}"),
        None => "'self' data:".to_string(),
    };
    format!(
        "default-src 'self'; img-src {img}; style-src 'self' 'unsafe-inline'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased.
fn http_origin(url: &str) -> Result<String, String> {
    let (scheme, authority) = origin_parts(url)?;
    Ok(format!("{scheme}://{authority}"))
}

/// The lower-cased scheme and `host[:port]` of an absolute http(s) URL.
fn origin_parts(url: &str) -> Result<(String, String), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'') {
        return Err("must not contain spaces, quotes or control characters".into());
    }
    let (scheme, rest) = url.split_once("://").ok_or("is not an absolute http(s) URL")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("must start with http:// or https://, not {scheme}://"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err("has no host".into());
    }
    if authority.contains('@') {
        return Err("must not contain a user name or password".into());
    }
    Ok((scheme, authority.to_ascii_lowercase()))
}

/// The origin to allow in `img-src` for a Leaflet tile URL template. `{s}.` as the first host
/// label (Leaflet's subdomains) becomes `*.`; any other placeholder in the host is refused.
pub fn tile_origin(url: &str) -> Result<String, String> {
    let (scheme, host) = origin_parts(url)?;
    let host = match host.strip_prefix("{s}.") {
        Some(rest) => format!("*.{rest}"),
        None => host,
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']');
    let name = host.strip_prefix("*.").unwrap_or(&host);
    if name.is_empty() || !name.chars().all(allowed) {
        return Err("has a host that is not a plain name or address (only {s}. may start it)".into());
    }
    Ok(format!("{scheme}://{host}"))
}

/// Paths that are pages or page assets (they get the page CSP; everything else is API).
pub fn is_page_path(path: &str) -> bool {
    matches!(path, "/" | "/app.js" | "/i18n.js" | "/style.css") || path.starts_with("/vendor/")
}

/// The routes of the map page. Everything is GET (and HEAD); other methods get a 405.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::get;
    cfg.service(get("/", index))
        .service(get("/app.js", || async { asset(JS, REVALIDATE, APP_JS) }))
        .service(get("/i18n.js", || async { asset(JS, REVALIDATE, I18N_JS) }))
        .service(get("/style.css", || async { asset(CSS, REVALIDATE, STYLE_CSS) }))
        .service(get("/config.json", config))
        .service(get("/vendor/leaflet/{file:.*}", leaflet))
        // The outlines are large (1.3 MB) and compress well.
        .service(
            get("/basemap/countries.geojson", || async {
                asset("application/geo+json", ONE_DAY, COUNTRIES_GEOJSON)
            })
            .wrap(Compress::default()),
        )
        .service(
            get("/basemap/india_states.geojson", || async {
                asset("application/geo+json", ONE_DAY, INDIA_STATES_GEOJSON)
            })
            .wrap(Compress::default()),
        );
}

fn asset(content_type: &'static str, cache: &'static str, body: impl Into<web::Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body.into())
}

async fn index() -> HttpResponse {
    let html = if LEAFLET_BUNDLED { INDEX_HTML } else { NO_LEAFLET_HTML };
    asset(HTML, REVALIDATE, html)
}

async fn leaflet(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    LEAFLET_FILES
        .iter()
        .find(|(name, _, _)| *name == file.as_str())
        .map(|(_, content_type, bytes)| asset(content_type, ONE_DAY, *bytes))
        .ok_or_else(|| ApiError::NotFound(format!("no file /vendor/leaflet/{file}")))
}

/// What the page needs to know about this server's settings.
#[derive(Debug, Serialize)]
struct PageConfig<'a> {
    tile_url: Option<&'a str>,
    tile_attribution: Option<&'a str>,
    exit_url: &'a str,
}

async fn config(state: web::Data<AppState>) -> HttpResponse {
    let page = &state.page;
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, REVALIDATE)).json(PageConfig {
        tile_url: page.tile_url.as_deref(),
        tile_attribution: page.tile_attribution.as_deref(),
        exit_url: &page.exit_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_origins() {
        assert_eq!(
            tile_origin("https://tile.example.org/{z}/{x}/{y}.png").unwrap(),
            "https://tile.example.org"
        );
        assert_eq!(
            tile_origin("HTTP://Tiles.Example.org:8443/a?k=1").unwrap(),
            "http://tiles.example.org:8443"
        );
        assert_eq!(
            tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png").unwrap(),
            "https://*.tile.example.org"
        );
        assert_eq!(tile_origin("http://[::1]:9000/{z}/{x}/{y}.png").unwrap(), "http://[::1]:9000");
        for bad in [
            "ftp://tile.example.org/{z}/{x}/{y}.png",
            "javascript:alert(1)",
            "//tile.example.org/{z}.png",
            "tile.example.org/{z}/{x}/{y}.png",
            "https:///{z}/{x}/{y}.png",
            "https://user:pw@tile.example.org/{z}.png",
            "https://{z}.example.org/{x}.png",
            "https://tile.example.org;script-src */x",
            "https://tile.example.org 'unsafe-inline'/x",
        ] {
            assert!(tile_origin(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn settings_put_the_tile_origin_in_img_src() {
        let plain = PageSettings::new(None, None, DEFAULT_EXIT_URL).unwrap();
        assert!(!plain.csp.to_str().unwrap().contains("http"));
        let tiles =
            PageSettings::new(Some("https://t.example.org/{z}/{x}/{y}.png"), Some("© T"), DEFAULT_EXIT_URL)
                .unwrap();
        let csp = tiles.csp.to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'; img-src 'self' data: https://t.example.org;"), "{csp}");
        assert!(PageSettings::new(None, None, "javascript:void(0)").is_err());
        assert!(PageSettings::new(Some("file:///tiles/{z}.png"), None, DEFAULT_EXIT_URL).is_err());
    }

    #[test]
    fn page_paths() {
        for page in ["/", "/app.js", "/style.css", "/vendor/leaflet/leaflet.js"] {
            assert!(is_page_path(page), "{page}");
        }
        for api in ["/v1/providers", "/config.json", "/health", "/basemap/countries.geojson"] {
            assert!(!is_page_path(api), "{api}");
        }
    }
}

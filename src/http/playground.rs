//! The browser playground at `/web`: a single page (HTML, JS, CSS and an icon kept under
//! `playground/` and embedded in the binary) that plays episodes over the same `/ws` protocol as
//! any agent, plus `GET /web/catalog`, the databases and difficulties its episode form offers.
//!
//! The page works offline and loads nothing from elsewhere; every response carries a strict
//! Content-Security-Policy so that even a database string that slipped into markup could not run.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::http::header::{self, ETag, EntityTag, Header, HeaderValue, IfNoneMatch};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::catalog::question::Difficulty;
use crate::catalog::sets::QuestionSet;
use crate::session::Services;

const INDEX_HTML: &str = include_str!("playground/index.html");
const PLAYGROUND_JS: &str = include_str!("playground/playground.js");
const PLAYGROUND_CSS: &str = include_str!("playground/playground.css");
const FAVICON_SVG: &str = include_str!("playground/favicon.svg");

/// The assets change only with the binary, but a rebuilt server must never be shadowed by a stale
/// copy: browsers revalidate every time and get a cheap 304 while the ETag still matches.
const CACHE_CONTROL: &str = "no-cache";

/// Registers `/`, `/web`, its assets and `/web/catalog`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/web", web::get().to(index))
        .route("/web/", web::get().to(index))
        .route("/web/playground.js", web::get().to(script))
        .route("/web/playground.css", web::get().to(stylesheet))
        .route("/web/favicon.svg", web::get().to(favicon))
        .route("/web/catalog", web::get().to(catalog));
}

/// `GET /`: the server's front door is the playground. A temporary redirect, so a browser does
/// not remember it if `/` ever serves something else.
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/web"))
        .finish()
}

async fn index(req: HttpRequest) -> HttpResponse {
    asset(&req, INDEX_HTML, "text/html; charset=utf-8", etags().html)
}

async fn script(req: HttpRequest) -> HttpResponse {
    asset(
        &req,
        PLAYGROUND_JS,
        "text/javascript; charset=utf-8",
        etags().js,
    )
}

async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, PLAYGROUND_CSS, "text/css; charset=utf-8", etags().css)
}

async fn favicon(req: HttpRequest) -> HttpResponse {
    asset(&req, FAVICON_SVG, "image/svg+xml", etags().favicon)
}

/// `GET /web/catalog`: each database with its served question counts per difficulty, so the
/// page can offer only choices a reset can satisfy.
async fn catalog(services: web::Data<Services>) -> HttpResponse {
    let catalog = &services.catalog;
    let mut counts: BTreeMap<&str, BTreeMap<&'static str, usize>> = catalog
        .databases()
        .map(|db| {
            let zero = Difficulty::ALL.iter().map(|d| (d.as_str(), 0)).collect();
            (db.db_id.as_str(), zero)
        })
        .collect();
    // Only what a reset naming no set can draw: the robustness variants need `set=`, and a
    // database with nothing else (Spider-DK's modified ones) is offered as empty.
    let playable = catalog
        .questions()
        .served()
        .iter()
        .filter(|q| QuestionSet::of(q.source).in_default(None));
    for q in playable.clone() {
        if let Some(per_difficulty) = counts.get_mut(q.db_id.as_str()) {
            *per_difficulty.entry(q.difficulty.as_str()).or_default() += 1;
        }
    }
    let databases: Vec<_> = catalog
        .databases()
        .map(|db| {
            let questions = counts.remove(db.db_id.as_str()).unwrap_or_default();
            json!({
                "db_id": db.db_id,
                "tables": db.tables.len(),
                "total": questions.values().sum::<usize>(),
                "questions": questions,
            })
        })
        .collect();
    let difficulties: Vec<&str> = Difficulty::ALL.iter().map(|d| d.as_str()).collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header(security_headers_csp(None))
        .json(json!({
            "difficulties": difficulties,
            "databases": databases,
            "questions_served": playable.count(),
            "step_budget": services.rules.step_budget,
        }))
}

fn asset(req: &HttpRequest, body: &'static str, content_type: &str, etag: u64) -> HttpResponse {
    let etag = EntityTag::new_strong(format!("{etag:016x}"));
    // If-None-Match compares weakly (RFC 9110 13.1.2); an unparsable header is no match.
    let fresh = match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        Err(_) => false,
    };
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header(ETag(etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(security_headers_csp(websocket_host(req)));
    if fresh {
        response.finish()
    } else {
        response.content_type(content_type).body(body)
    }
}

/// Who may frame the pages: the server itself and a Hugging Face Space, whose page at
/// `huggingface.co/spaces/...` shows the app in an iframe served from `<owner>-<name>.hf.space`.
/// Any other site framing the playground is refused (clickjacking).
pub const FRAME_ANCESTORS: &str = "'self' https://huggingface.co https://*.hf.space";

/// The page's policy: its own scripts, styles and the catalog, the WebSocket of the host it was
/// loaded from, and nothing else: no inline code, no plugins, no form posts, framing only by
/// [`FRAME_ANCESTORS`].
/// `'self'` already covers `ws:`/`wss:` to the same host in CSP 3; the explicit origins are for
/// browsers that still read CSP 2.
fn security_headers_csp(ws_host: Option<String>) -> (header::HeaderName, HeaderValue) {
    let connect = match ws_host {
        Some(host) => format!("connect-src 'self' ws://{host} wss://{host}"),
        None => "connect-src 'self'".to_string(),
    };
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; {connect}; \
         base-uri 'none'; form-action 'none'; frame-ancestors {FRAME_ANCESTORS}"
    );
    let value = HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    (header::CONTENT_SECURITY_POLICY, value)
}

/// The request's `Host`, if it is a plain host[:port]. It is client-supplied, so anything that
/// could bend the policy (spaces, semicolons, quotes, wildcards) drops the explicit origins.
fn websocket_host(req: &HttpRequest) -> Option<String> {
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| host.to_string())
}

struct ETags {
    html: u64,
    js: u64,
    css: u64,
    favicon: u64,
}

fn etags() -> &'static ETags {
    static ETAGS: OnceLock<ETags> = OnceLock::new();
    ETAGS.get_or_init(|| ETags {
        html: fnv1a(INDEX_HTML),
        js: fnv1a(PLAYGROUND_JS),
        css: fnv1a(PLAYGROUND_CSS),
        favicon: fnv1a(FAVICON_SVG),
    })
}

/// FNV-1a: stable across builds and Rust versions (unlike `DefaultHasher`), which is all an ETag
/// of an embedded file needs.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_only_plain_hosts() {
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::HOST, "127.0.0.1:8123"))
            .to_http_request();
        assert_eq!(websocket_host(&req).as_deref(), Some("127.0.0.1:8123"));
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::HOST, "evil; script-src *"))
            .to_http_request();
        assert_eq!(websocket_host(&req), None);
        let (_, value) = security_headers_csp(Some("h:1".into()));
        let policy = value.to_str().unwrap();
        assert!(
            policy.contains("connect-src 'self' ws://h:1 wss://h:1;"),
            "{policy}"
        );
        assert!(policy.starts_with("default-src 'none'"));
    }

    #[test]
    fn etags_differ_per_asset() {
        assert_ne!(fnv1a(INDEX_HTML), fnv1a(PLAYGROUND_JS));
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    }
}

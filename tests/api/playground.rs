//! The browser playground: `/` redirects to it, and its page and assets are served with the
//! right types and a strict Content-Security-Policy.

use crate::helpers::*;

/// A response as the tests read it: status, headers and body, redirects not followed.
struct Reply {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

async fn get_with(app: &TestApp, path: &str, if_none_match: Option<&str>) -> Reply {
    let mut request = awc::Client::builder()
        .disable_redirects()
        .finish()
        .get(app.http(path));
    if let Some(etag) = if_none_match {
        request = request.insert_header(("If-None-Match", etag));
    }
    let mut resp = request.send().await.expect("GET");
    let body = resp.body().limit(1 << 20).await.expect("body").to_vec();
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body,
    }
}

async fn get(app: &TestApp, path: &str) -> Reply {
    get_with(app, path, None).await
}

#[actix_web::test]
async fn root_redirects_to_the_playground() {
    let app = spawn_app().await;
    let resp = get(&app, "/").await;
    assert_eq!(resp.status, 302);
    assert_eq!(resp.header("location"), "/web");
    app.stop().await;
}

#[actix_web::test]
async fn page_is_html_with_a_strict_policy() {
    let app = spawn_app().await;
    let resp = get(&app, "/web").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(resp.header("cache-control"), "no-cache");
    assert_eq!(resp.header("x-content-type-options"), "nosniff");
    let csp = resp.header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    // Framing: the server itself and a Hugging Face Space (its page frames the app), nobody else.
    let (rest, ancestors) = csp
        .split_once("; frame-ancestors ")
        .expect("the policy ends with frame-ancestors");
    assert_eq!(
        ancestors,
        "'self' https://huggingface.co https://*.hf.space"
    );
    let csp = rest;
    let host = format!("127.0.0.1:{}", app.port);
    assert!(
        csp.contains(&format!("connect-src 'self' ws://{host} wss://{host}")),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe") && !csp.contains('*') && !csp.contains("http"),
        "{csp}"
    );
    let html = std::str::from_utf8(&resp.body).expect("UTF-8");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains(r#"<script type="module" src="/web/playground.js"></script>"#));
    // Nothing is loaded from another origin and nothing runs inline.
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script>") && !html.contains("style="));
    app.stop().await;
}

#[actix_web::test]
async fn assets_have_their_content_types_and_revalidate() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/web/playground.js", "text/javascript; charset=utf-8"),
        ("/web/playground.css", "text/css; charset=utf-8"),
        ("/web/favicon.svg", "image/svg+xml"),
        ("/web/", "text/html; charset=utf-8"),
    ] {
        let resp = get(&app, path).await;
        assert_eq!(resp.status, 200, "{path}");
        assert_eq!(resp.header("content-type"), content_type, "{path}");
        assert_eq!(resp.header("cache-control"), "no-cache", "{path}");
        assert!(!resp.header("content-security-policy").is_empty());
        assert!(!resp.body.is_empty(), "{path}");

        let etag = resp.header("etag");
        assert!(etag.starts_with('"') && etag.len() > 2, "{path}: {etag}");
        let again = get_with(&app, path, Some(&etag)).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}");
    }
    // The page never builds markup from server data.
    let resp = get(&app, "/web/playground.js").await;
    let js = std::str::from_utf8(&resp.body).expect("UTF-8");
    assert!(!js.contains("innerHTML") && !js.contains("insertAdjacentHTML"));
    assert_eq!(get(&app, "/web/nothing.js").await.status, 404);
    app.stop().await;
}

#[actix_web::test]
async fn catalog_counts_served_questions_per_database_and_difficulty() {
    let app = spawn_app().await;
    let (status, catalog) = app.get_json("/web/catalog").await;
    assert_eq!(status, 200);
    assert_eq!(
        catalog["difficulties"],
        serde_json::json!(["easy", "medium", "hard", "extra"])
    );
    let databases = catalog["databases"].as_array().expect("databases");
    assert_eq!(databases.len(), 159);
    let served = catalog["questions_served"].as_u64().expect("count");
    let mut sum = 0;
    for db in databases {
        let per_difficulty: u64 = db["questions"]
            .as_object()
            .expect("counts")
            .values()
            .map(|n| n.as_u64().expect("count"))
            .sum();
        assert_eq!(db["total"].as_u64(), Some(per_difficulty), "{db}");
        sum += per_difficulty;
    }
    assert_eq!(sum, served);
    let concert = databases
        .iter()
        .find(|db| db["db_id"] == "concert_singer")
        .expect("concert_singer");
    assert_eq!(concert["tables"], 4);
    assert!(concert["questions"]["easy"].as_u64().unwrap() >= 1);
    app.stop().await;
}

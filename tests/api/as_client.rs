//! Talking to the server as a named client (an `X-Forwarded-For` entry, believed when the
//! server trusts one proxy hop) and with an API key.

use awc::http::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::helpers::{TestApp, WsClient, REPLY_TIMEOUT};

/// Headers naming client `address` and, with `key`, carrying the bearer key.
pub fn headers(address: Option<&str>, key: Option<&str>) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = Vec::new();
    if let Some(address) = address {
        headers.push((
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_str(address).unwrap(),
        ));
    }
    if let Some(key) = key {
        headers.push((
            awc::http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
        ));
    }
    headers
}

/// Opens `/ws` with `headers`: the socket, or the HTTP status of a refused upgrade.
pub async fn connect(
    app: &TestApp,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
) -> Result<WsClient, u16> {
    let mut request = awc::Client::default()
        .ws(format!("ws://127.0.0.1:{}{path}", app.port))
        .max_frame_size(8 << 20);
    for (name, value) in headers {
        request = request.set_header(name.clone(), value.clone());
    }
    match actix_web::rt::time::timeout(REPLY_TIMEOUT, request.connect())
        .await
        .expect("upgrade answered in time")
    {
        Ok((_, framed)) => Ok(WsClient { framed }),
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => Err(status.as_u16()),
        Err(e) => panic!("WebSocket connect failed: {e}"),
    }
}

/// Sends `method path` with `headers` and an optional JSON body: the status and the body
/// (JSON, or a string of the text, or null when empty).
pub async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Option<&Value>,
) -> (u16, Value) {
    let body = body.map(|b| serde_json::to_vec(b).expect("a JSON value serialises"));
    exchange(app, method, path, headers, body).await
}

/// Sends raw bytes as a JSON body: the status and the body as [`send`] reads it.
pub async fn send_bytes(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Vec<u8>,
) -> (u16, Value) {
    exchange(app, method, path, headers, Some(body)).await
}

/// One request, with a JSON content type when it has a body; the reply as [`send`] describes it.
async fn exchange(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let client = awc::Client::builder().timeout(REPLY_TIMEOUT).finish();
    let mut request = client.request(method.parse().unwrap(), app.http(path));
    for (name, value) in headers {
        request = request.insert_header((name.clone(), value.clone()));
    }
    let mut response = match body {
        Some(body) => {
            request
                .insert_header(("content-type", "application/json"))
                .send_body(body)
                .await
        }
        None => request.send().await,
    }
    .expect("request answered");
    let status = response.status().as_u16();
    let bytes = response.body().limit(16 << 20).await.expect("body");
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, value)
}

/// Bytes of an oversized body sent before its answer is read: past the server's 256 KiB limit,
/// far short of what the request announces.
const OVERSIZED_SENT: usize = 512 * 1024;
/// What an oversized request announces.
const OVERSIZED_LENGTH: usize = 10 * 1024 * 1024;

/// POSTs a request announcing a 10 MB JSON body to `path` and sends its first 512 KiB; the
/// status line of the answer (which comes without the rest being sent). Raw, because an HTTP
/// client sending all 10 MB would fail writing once the server has answered and closed.
pub async fn oversized_post(app: &TestApp, path: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let port = app.port;
    let path = path.to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(REPLY_TIMEOUT)).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {OVERSIZED_LENGTH}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        let mut body = b"{\"pad\": \"".to_vec();
        body.resize(OVERSIZED_SENT, b'x');
        // The server may answer and stop reading before all of it is sent.
        let _ = stream.write_all(&body);
        let mut status = String::new();
        BufReader::new(stream).read_line(&mut status).unwrap();
        status
    })
    .await
    .unwrap()
}

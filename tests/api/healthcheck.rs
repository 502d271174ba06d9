//! `sqlenv healthcheck`: the probe against the real server, against tiny one-shot servers that
//! answer what the real one never does, and against closed and silent ports.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use sqlenv::healthcheck::{check_data, check_http, HealthError};

use crate::helpers::{data_dir, spawn_app};

/// A server on an ephemeral port that answers one request with `response`, then closes.
fn answer_once(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            // Read the request head (it fits one read), then answer.
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

#[actix_web::test]
async fn the_running_server_is_healthy() {
    let app = spawn_app().await;
    let url = app.http("/health");
    let outcome = actix_web::rt::task::spawn_blocking(move || {
        check_http(&url, Duration::from_secs(5)).map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    assert_eq!(outcome, Ok(()));
    app.stop().await;
}

#[test]
fn a_chunked_healthy_answer_passes() {
    let url = answer_once(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n\
         a\r\n{\"status\":\r\na\r\n\"healthy\"}\r\n0\r\n\r\n",
    );
    check_http(&url, Duration::from_secs(5)).unwrap();
}

#[test]
fn a_server_reporting_another_status_is_unhealthy() {
    let body = "{\"status\":\"starting\"}";
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let url = answer_once(Box::leak(response.into_boxed_str()));
    let error = check_http(&url, Duration::from_secs(5)).unwrap_err();
    assert!(
        matches!(&error, HealthError::Unhealthy { status, .. } if status == "starting"),
        "{error}"
    );
}

#[test]
fn an_error_status_is_unhealthy() {
    let url = answer_once("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
    let error = check_http(&url, Duration::from_secs(5)).unwrap_err();
    assert!(
        matches!(
            error,
            HealthError::Http {
                source: ureq::Error::StatusCode(503),
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_closed_port_is_unhealthy() {
    // Bind then drop, so the port is (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/health");
    let error = check_http(&url, Duration::from_millis(500)).unwrap_err();
    assert!(matches!(error, HealthError::Http { .. }), "{error}");
}

#[test]
fn a_silent_server_times_out() {
    // Accepts the connection (the backlog does) but never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    let error = check_http(&url, Duration::from_millis(200)).unwrap_err();
    assert!(
        matches!(
            error,
            HealthError::Http {
                source: ureq::Error::Timeout(_),
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn the_bundled_data_passes() {
    assert!(check_data(&data_dir()).unwrap() > 0);
    let missing = check_data(&data_dir().join("no-such-dir")).unwrap_err();
    assert!(matches!(missing, HealthError::Data(_)));
}

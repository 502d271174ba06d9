//! `sqlenv healthcheck`: the container health probe. Slim images have no curl, so the binary
//! checks itself: the bundled databases still open read-only with the tables `tables.json` lists,
//! and the running server answers `GET /health` with `"status": "healthy"`. Exit status 0 means
//! healthy and 1 unhealthy, as Docker's `HEALTHCHECK` expects (2 is reserved there).
//!
//! The HTTP request is a single blocking HTTP/1.1 GET over a `TcpStream` with a deadline: the
//! probe needs no runtime, no TLS (it talks to its own container) and no client library.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use crate::catalog::{self, CatalogError};

/// Bytes of a `/health` response read at most; the real one is a few hundred.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// Flags of `sqlenv healthcheck`.
#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// Health endpoint to GET (plain http). Default: http://127.0.0.1:$PORT/health.
    #[arg(long)]
    pub url: Option<String>,
    /// Port of the default URL.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
    /// Data directory whose databases are checked.
    #[arg(long, env = "SQLENV_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Only check the HTTP endpoint, not the data.
    #[arg(long)]
    pub skip_data: bool,
    /// Milliseconds the HTTP check may take (connect, send, read).
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("data: {0}")]
    Data(#[from] CatalogError),
    #[error("{url}: only plain http://host[:port][/path] URLs are supported")]
    BadUrl { url: String },
    #[error("{url}: {source}")]
    Io { url: String, source: std::io::Error },
    #[error("{url}: no answer within {timeout_ms} ms")]
    Timeout { url: String, timeout_ms: u128 },
    #[error("{url}: malformed HTTP response: {message}")]
    BadResponse { url: String, message: String },
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: server reports status {status:?}")]
    Unhealthy { url: String, status: String },
}

/// What a successful check saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// Databases checked (`None` with `--skip-data`).
    pub databases: Option<usize>,
    pub url: String,
}

/// Runs the command: prints one line and turns the outcome into Docker's exit status.
pub fn run_command(args: &HealthcheckArgs) -> ExitCode {
    let started = Instant::now();
    match check(args) {
        Ok(report) => {
            let data = report
                .databases
                .map_or_else(String::new, |n| format!("{n} databases readable, "));
            println!(
                "healthy: {data}{} answered in {} ms",
                report.url,
                started.elapsed().as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("unhealthy: {error}");
            ExitCode::from(1)
        }
    }
}

/// Checks the data (unless skipped), then the HTTP endpoint.
pub fn check(args: &HealthcheckArgs) -> Result<HealthReport, HealthError> {
    let databases = if args.skip_data {
        None
    } else {
        Some(check_data(&args.data_dir)?)
    };
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/health", args.port));
    check_http(&url, Duration::from_millis(args.timeout_ms.max(1)))?;
    Ok(HealthReport { databases, url })
}

/// Opens every database `tables.json` lists, read-only, and checks its tables: what start-up
/// checks, minus running the gold SQL, so it stays cheap enough to repeat every 30 s.
pub fn check_data(data_dir: &Path) -> Result<usize, HealthError> {
    Ok(catalog::load_databases(data_dir)?.len())
}

/// GETs `url` and requires HTTP 200 with a JSON body whose `status` is `"healthy"`.
pub fn check_http(url: &str, timeout: Duration) -> Result<(), HealthError> {
    let target = Target::parse(url)?;
    let io = |source: std::io::Error| {
        if matches!(
            source.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) {
            HealthError::Timeout {
                url: url.to_owned(),
                timeout_ms: timeout.as_millis(),
            }
        } else {
            HealthError::Io {
                url: url.to_owned(),
                source,
            }
        }
    };
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(HealthError::Timeout {
                url: url.to_owned(),
                timeout_ms: timeout.as_millis(),
            })
    };
    let mut last_error = None;
    let mut stream = None;
    for address in (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(io)?
    {
        match TcpStream::connect_timeout(&address, remaining()?) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let mut stream = match (stream, last_error) {
        (Some(s), _) => s,
        (None, Some(e)) => return Err(io(e)),
        (None, None) => {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "host name resolves to no address",
            )))
        }
    };
    stream.set_write_timeout(Some(remaining()?)).map_err(io)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        target.path, target.authority
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut response = Vec::new();
    let mut reader = stream.take(MAX_RESPONSE_BYTES);
    let mut buf = [0u8; 4096];
    loop {
        // The read timeout shrinks so the whole exchange stays within `timeout`.
        reader
            .get_mut()
            .set_read_timeout(Some(remaining()?))
            .map_err(io)?;
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    }
    let (status, body) = parse_response(&response).map_err(|message| HealthError::BadResponse {
        url: url.to_owned(),
        message,
    })?;
    if status != 200 {
        return Err(HealthError::Status {
            url: url.to_owned(),
            status,
        });
    }
    let reported = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .ok_or_else(|| HealthError::BadResponse {
            url: url.to_owned(),
            message: "body is not JSON with a \"status\" string".into(),
        })?;
    if reported == "healthy" {
        Ok(())
    } else {
        Err(HealthError::Unhealthy {
            url: url.to_owned(),
            status: reported,
        })
    }
}

/// The parts of an `http://` URL the request needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// `host[:port]` as written, for the `Host` header.
    authority: String,
    /// The host to connect to (brackets of an IPv6 literal removed).
    host: String,
    port: u16,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, HealthError> {
        let bad = || HealthError::BadUrl {
            url: url.to_owned(),
        };
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        // `[::1]:8000`, `[::1]`, `host:8000`, `host`.
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => {
                (host, port.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['@', ' ']) {
            return Err(bad());
        }
        Ok(Target {
            authority: authority.to_owned(),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// Splits an HTTP/1.1 response into its status code and body (chunked bodies are decoded).
fn parse_response(response: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&response[..split]).map_err(|_| "headers are not UTF-8")?;
    let body = &response[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let chunked = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Target::parse("http://127.0.0.1:8000/health").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8000, "/health")
        );
        let t = Target::parse("http://[::1]:9000").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 9000, "/")
        );
        assert_eq!(t.authority, "[::1]:9000");
        let t = Target::parse("http://localhost/health").unwrap();
        assert_eq!(t.port, 80);
        for bad in [
            "https://x/health",
            "http://:80/",
            "http://x:port/",
            "ftp://x",
            "http://a@b/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\n{\"status\":\"healthy\"}";
        assert_eq!(
            parse_response(plain).unwrap(),
            (200, b"{\"status\":\"healthy\"}".to_vec())
        );
        let chunked = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).unwrap(),
            (503, b"{\"a\":1}".to_vec())
        );
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"SSH-2.0 x\r\n\r\n").is_err());
    }

    #[test]
    fn a_closed_port_is_unhealthy_quickly() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/health");
        let started = Instant::now();
        let error = check_http(&url, Duration::from_millis(500)).unwrap_err();
        assert!(matches!(error, HealthError::Io { .. }), "{error}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_silent_server_times_out() {
        // Accepts the connection but never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/health", listener.local_addr().unwrap());
        let error = check_http(&url, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(error, HealthError::Timeout { .. }), "{error}");
    }

    #[test]
    fn the_bundled_data_passes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        assert!(check_data(&dir).unwrap() > 0);
        let missing = check_data(&dir.join("no-such-dir")).unwrap_err();
        assert!(matches!(missing, HealthError::Data(_)));
    }
}

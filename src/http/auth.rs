//! The optional API key (`--api-key`): when set, a request must carry
//! `Authorization: Bearer <key>`. The key is compared through SHA-256 digests in constant time,
//! so neither its bytes nor its length can be learned from how long a refusal takes.

use std::fmt;

use actix_web::http::header::{self, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest key accepted: a key short enough to guess would protect nothing.
pub const MIN_KEY_CHARS: usize = 16;

/// The configured key, kept only as its digest.
#[derive(Clone)]
pub struct ApiKey {
    digest: [u8; 32],
}

/// Why a configured key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    #[error("--api-key must be at least {MIN_KEY_CHARS} characters")]
    TooShort,
    #[error("--api-key must be visible ASCII without spaces (it travels in an HTTP header)")]
    NotPrintable,
}

impl ApiKey {
    pub fn new(key: &str) -> Result<Self, ApiKeyError> {
        if key.chars().count() < MIN_KEY_CHARS {
            return Err(ApiKeyError::TooShort);
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiKeyError::NotPrintable);
        }
        Ok(ApiKey {
            digest: Sha256::digest(key.as_bytes()).into(),
        })
    }

    /// Whether `headers` carry this key as a bearer token.
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
        else {
            return false;
        };
        let offered: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.digest.ct_eq(&offered).into()
    }
}

/// The token of an `Authorization: Bearer <token>` value (the scheme is case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        map
    }

    #[test]
    fn only_the_exact_bearer_key_is_admitted() {
        let key = ApiKey::new("k3y-0123456789abcdef").unwrap();
        assert!(key.admits(&headers("Bearer k3y-0123456789abcdef")));
        assert!(key.admits(&headers("bearer  k3y-0123456789abcdef ")));
        assert!(!key.admits(&headers("Bearer k3y-0123456789abcdeF")));
        assert!(!key.admits(&headers("Bearer k3y-0123456789abcde")));
        assert!(!key.admits(&headers("Basic k3y-0123456789abcdef")));
        assert!(!key.admits(&headers("k3y-0123456789abcdef")));
        assert!(!key.admits(&headers("Bearer ")));
        assert!(!key.admits(&HeaderMap::new()));
    }

    #[test]
    fn weak_or_unsendable_keys_are_refused() {
        assert_eq!(ApiKey::new("short").unwrap_err(), ApiKeyError::TooShort);
        assert_eq!(
            ApiKey::new("has a space in the middle").unwrap_err(),
            ApiKeyError::NotPrintable
        );
        assert!(!format!("{:?}", ApiKey::new("k3y-0123456789abcdef").unwrap()).contains("k3y"));
    }
}

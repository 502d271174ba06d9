//! Who may use the server and how much: the flags of the optional key and the fair shares, and
//! the middleware in front of every route. For each request but `/health` it names the client
//! (peer address, or the trusted proxies' `X-Forwarded-For` entry), takes one message from the
//! client's rate, checks the key, and records the client on the request for the session it may
//! open (see [`ClientShare`]).

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use clap::Args;

use super::auth::{ApiKey, ApiKeyError};
use super::error::ApiError;
use crate::supervisor::fair_share::{self, ClientId, ClientShare, FairShareLimits, MessageRates};

/// The one path answered without key or rate: the platform's health probe.
const OPEN_PATH: &str = "/health";

/// Flags of the key and the fair shares (part of `sqlenv serve`).
#[derive(Debug, Clone, Args)]
pub struct AccessArgs {
    /// Most sessions one client (address) may hold at once; more get CLIENT_SESSION_LIMIT.
    /// Raise it (up to --max-sessions) for a trainer opening more connections from one address.
    #[arg(long, env = "SQLENV_MAX_SESSIONS_PER_CLIENT", default_value_t = fair_share::DEFAULT_MAX_SESSIONS_PER_CLIENT)]
    pub max_sessions_per_client: usize,
    /// Messages (WebSocket frames, HTTP requests) one client may send per second, sustained;
    /// more get RATE_LIMITED and are not handled.
    #[arg(long, env = "SQLENV_CLIENT_MESSAGES_PER_SEC", default_value_t = fair_share::DEFAULT_CLIENT_MESSAGES_PER_SEC)]
    pub client_messages_per_sec: u32,
    /// Messages one client may send at once above its sustained rate.
    #[arg(long, env = "SQLENV_CLIENT_MESSAGE_BURST", default_value_t = fair_share::DEFAULT_CLIENT_MESSAGE_BURST)]
    pub client_message_burst: u32,
    /// Proxies in front of the server that append to X-Forwarded-For and are trusted (1 on a
    /// Hugging Face Space); 0: the client is the peer address and the header is ignored.
    #[arg(long, env = "SQLENV_TRUSTED_PROXY_HOPS", default_value_t = 0)]
    pub trusted_proxy_hops: u8,
    /// When set, every endpoint but /health needs `Authorization: Bearer <key>` (at least 16
    /// characters).
    #[arg(long, env = "SQLENV_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

/// A checked [`AccessArgs`]; the default is open, with the default fair shares.
#[derive(Debug, Clone, Default)]
pub struct AccessConfig {
    pub limits: FairShareLimits,
    pub trusted_proxy_hops: u8,
    pub api_key: Option<ApiKey>,
}

/// Why the access flags are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessConfigError {
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
}

impl AccessArgs {
    pub fn into_config(self) -> Result<AccessConfig, AccessConfigError> {
        let nonzero = |name, v: u32| NonZeroU32::new(v).ok_or(AccessConfigError::Zero(name));
        if self.max_sessions_per_client == 0 {
            return Err(AccessConfigError::Zero("--max-sessions-per-client"));
        }
        Ok(AccessConfig {
            limits: FairShareLimits {
                max_sessions_per_client: self.max_sessions_per_client,
                messages_per_sec: nonzero(
                    "--client-messages-per-sec",
                    self.client_messages_per_sec,
                )?,
                burst: nonzero("--client-message-burst", self.client_message_burst)?,
            },
            trusted_proxy_hops: self.trusted_proxy_hops,
            api_key: self.api_key.as_deref().map(ApiKey::new).transpose()?,
        })
    }
}

/// What the middleware needs, shared by every HTTP worker (app data).
#[derive(Clone)]
pub struct Access {
    rates: Arc<MessageRates>,
    trusted_proxy_hops: u8,
    api_key: Option<ApiKey>,
}

impl Access {
    pub fn new(config: &AccessConfig) -> Self {
        Access {
            rates: MessageRates::new(config.limits),
            trusted_proxy_hops: config.trusted_proxy_hops,
            api_key: config.api_key.clone(),
        }
    }

    /// The message allowances, which the supervisor prunes.
    pub fn rates(&self) -> Arc<MessageRates> {
        self.rates.clone()
    }

    fn share_of(&self, req: &ServiceRequest) -> ClientShare {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let id = ClientId::from_parts(
            req.peer_addr().map(|a| a.ip()),
            forwarded,
            self.trusted_proxy_hops,
        );
        // A client on the server's own host is the operator (`sqlenv eval`, `sqlenv load`
        // against a local server): its rate is the server's to measure, not to limit.
        if id.is_loopback() {
            ClientShare::unlimited(id)
        } else {
            ClientShare::new(id, self.rates.clone())
        }
    }
}

/// The middleware: `App::wrap(from_fn(access::guard))`, with an [`Access`] as app data.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let access = req.app_data::<web::Data<Access>>().cloned();
    let Some(access) = access.filter(|_| req.path() != OPEN_PATH) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let share = access.share_of(&req);
    // The rate first, so guessing keys costs a client its allowance too.
    if let Err(limited) = share.take_message() {
        return Ok(req
            .into_response(ApiError::RateLimited(limited).error_response())
            .map_into_right_body());
    }
    if let Some(key) = &access.api_key {
        if !key.admits(req.headers()) {
            return Ok(req
                .into_response(ApiError::Unauthorized.error_response())
                .map_into_right_body());
        }
    }
    share.attach(&req);
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

//! Building the server: load and prove the catalog, start the actors, bind the listener. `main`
//! and the integration tests both go through [`Application::build`].

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::catalog::Catalog;
use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::reward::actor::RewardService;
use crate::session::Services;
use crate::supervisor::EpisodeSupervisor;
use crate::{database, http};

mod error;
pub use error::StartupError;

/// After a WebSocket close handshake the server must drop the TCP connection first (RFC 6455), and
/// the Python client waits for it; actix's default of one second made every client `close()`
/// take a second.
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_millis(100);

pub struct Application {
    port: u16,
    server: Server,
    services: Services,
}

impl Application {
    /// Loads the catalog from the configured data directory and builds the server on it.
    /// Must run inside an actix system.
    pub fn build(config: ServerConfig) -> Result<Application, StartupError> {
        let data_dir = config.data_dir.clone();
        if !data_dir.join("tables.json").is_file() {
            return Err(StartupError::NoData { data_dir });
        }
        let catalog = Catalog::load_with(&data_dir, config.proof_cache.as_ref())
            .map_err(|source| StartupError::Catalog { data_dir, source })?;
        Self::build_with_catalog(config, Arc::new(catalog))
    }

    /// Builds the server on an already loaded catalog (tests share one between servers).
    pub fn build_with_catalog(
        config: ServerConfig,
        catalog: Arc<Catalog>,
    ) -> Result<Application, StartupError> {
        // The port first: if it is taken, fail before any actor starts. Actors already running
        // when the error returns panic as the runtime goes away under them, and that panic
        // would print before the real message.
        let address = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: address.clone(),
                source,
            })?
            .port();
        let pools = catalog
            .open_pools(config.db_workers)
            .map_err(|(path, source)| StartupError::Pool { path, source })?;
        let metrics = Metrics::new();
        let rewards = RewardService::start(config.reward.clone(), config.reward_workers);
        let access = web::Data::new(http::access::Access::new(&config.access));
        let services = Services {
            db: database::start(
                pools,
                config.rules.limits.clone(),
                config.db_workers,
                metrics.clone(),
            ),
            reward: rewards.start_actor(),
            supervisor: EpisodeSupervisor::new(config.max_sessions, config.idle_timeout)
                .with_metrics(metrics.clone())
                .with_fair_share(config.access.limits.max_sessions_per_client, access.rates())
                .start(),
            catalog,
            rules: config.rules.clone(),
            reward_config: config.reward.clone(),
            heartbeat: config.heartbeat,
            metrics,
            validation_token: config.validation_token.clone(),
        };
        let shared = services.clone();
        // Each HTTP worker thread gets its own reward actor, so its sessions' scoring messages
        // stay on the thread.
        let server = HttpServer::new(move || {
            let services = Services {
                reward: rewards.start_actor(),
                ..shared.clone()
            };
            App::new()
                .app_data(web::Data::new(services))
                .app_data(access.clone())
                .wrap(from_fn(http::access::guard))
                .configure(http::configure)
        })
        .workers(config.http_workers)
        .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
        // Signals are handled by `crate::shutdown`, which closes the sessions first.
        .disable_signals()
        .shutdown_timeout(config.shutdown_grace.as_secs())
        .listen(listener)
        .map_err(|source| StartupError::Bind { address, source })?
        .run();
        Ok(Application {
            port,
            server,
            services,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Stops the server the graceful way: sessions get a close frame first (see `shutdown`).
    pub fn shutdown_handle(&self) -> crate::shutdown::ShutdownHandle {
        crate::shutdown::ShutdownHandle::new(self.server.handle(), self.services.supervisor.clone())
    }

    /// A handle that stops the server (gracefully) from elsewhere.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

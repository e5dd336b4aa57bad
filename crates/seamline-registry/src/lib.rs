//! The contract registry, where services in different repositories meet: published service versions (immutable,
//! content-hashed), their contracts, and what is deployed in which environment. Storage is SQLite (a file, no
//! set-up) or PostgreSQL (several stateless servers sharing one database), through one set of portable SQL.

pub mod api;
mod compat;
mod store;

pub use compat::{Decision, PairVerdict};

pub use store::{
    Deployment, Publication, PublishOutcome, ServiceSummary, Store, StoreError, StoredVersion,
    VersionSummary, content_hash,
};

/// Serves the registry on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, api::router(store))
        .with_graceful_shutdown(shutdown)
        .await
}

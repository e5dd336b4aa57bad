//! The contract registry, where services in different repositories meet: published service versions (immutable,
//! content-hashed), their contracts, and what is deployed in which environment. Storage is SQLite (a file, no
//! set-up) or PostgreSQL (several stateless servers sharing one database), through one set of portable SQL.

pub mod api;
mod compat;
mod graph;
mod guard;
pub mod migrate;
mod server;
mod store;
mod tokens;
mod ui;
pub mod usage;

pub use api::Settings;
pub use compat::{ContractChanges, Decision, Matrix, PairVerdict, Removal, unreadable};
pub use server::{Limits, serve};
pub use tokens::{Grant, NewToken, Scope, TokenInfo};

pub use store::{
    Deployment, Edge, EnvironmentSummary, Publication, PublishOutcome, ServiceSummary, Store,
    StoreError, StoredVersion, VersionSummary, VersionUse, content_hash,
};

/// Service, version and environment names go into URLs and storage keys: 1 to 128 of a safe alphabet, not
/// starting with `.`, so no name can traverse a path.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
        && !name.starts_with('.')
}

/// `Err` with what to do when `name` is not a valid `what` ("service name", "version", "environment").
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid {what}: use 1 to 128 letters, digits, `.`, `_`, `-` or `+`, not starting with `.`"
        ))
    }
}

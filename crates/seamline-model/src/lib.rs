//! Typed views over the value tree: OpenAPI 3.0/3.1, AsyncAPI 2.6/3.0, JSON Schema event files, `$ref`
//! resolution across files, the `seam.toml` manifest and `seam.lock`.
//!
//! Nothing here knows about rules or servers. Problems in the input are returned as data (syntax problems,
//! reference problems, manifest problems); `Err` is kept for the system failing.

pub mod civil;
mod contract;
mod discover;
mod document;
mod lock;
mod manifest;
mod message;
mod migration;
mod openapi;
mod readable;
mod refs;
mod workspace;

pub use contract::{ContractKind, detect_kind};
pub use discover::{contract_kind, find_contract_files, searched};
pub use document::{DocId, Document};
pub use lock::{Lock, LockedConsumer, LockedContract, LockedMigration, sha256_hex};
pub use manifest::{
    CONTEXT_TARGETS, ConsumedContract, ConsumedEvents, ConsumedHttp, ContextConfig, DiffAccept,
    DiffConfig, DiffIgnore, LintConfig, Manifest, ManifestProblem, ManifestRead, MessageRef,
    ProvidedContract, Published, Retry, Spanned, parse_manifest, read_manifest, suggest,
};
pub use message::{Message, MessageSource, messages};
pub use migration::{MIGRATION_PHASES, MigrationState, list_versions, path_segment, phase_name};
pub use openapi::{HTTP_METHODS, Operation, Parameter, Response, is_error_status, operations};
pub use readable::Unreadable;
pub use refs::{RefError, RefProblem, Target};
pub use workspace::{Workspace, WorkspaceOptions};

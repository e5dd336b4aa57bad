//! Rules about `seam.toml`: how this service depends on others, and whether what it names exists.

pub(crate) mod consumer_dead_letter_missing;
pub(crate) mod dependency_retry_missing;
pub(crate) mod dependency_timeout_missing;
pub(crate) mod manifest_reference_unresolved;
pub(crate) mod vendored_contract_lock_mismatch;
pub(crate) mod vendored_contract_missing;

//! Rules about behaviour under failure: retries that are safe, rate limits that say when to come back,
//! and latency budgets.

pub(crate) mod idempotency_key_missing;
pub(crate) mod operation_timeout_missing;
pub(crate) mod rate_limit_undocumented;

//! The registry: every rule, once. Codes are `SEAM-<area><number>`: S structure, H HTTP operations, E error
//! model, R resilience, M messages, D dependencies and the manifest, X the suppressions themselves.

mod errors;
mod manifest;
mod messages;
mod operations;
mod resilience;
mod structure;

use crate::Rule;

pub static ALL: &[&Rule] = &[
    &structure::syntax_error::RULE,
    &structure::duplicate_key::RULE,
    &structure::ref_unresolved::RULE,
    &structure::ref_circular::RULE,
    &structure::ref_remote::RULE,
    &structure::ref_outside_repository::RULE,
    &structure::spec_structure_invalid::RULE,
    &structure::contract_version_unsupported::RULE,
    &operations::operation_id_missing::RULE,
    &operations::operation_id_duplicate::RULE,
    &errors::error_response_not_problem_json::RULE,
    &errors::error_responses_undocumented::RULE,
    &errors::error_schema_inconsistent::RULE,
    &resilience::idempotency_key_missing::RULE,
    &resilience::rate_limit_undocumented::RULE,
    &resilience::operation_timeout_missing::RULE,
    &messages::message_unversioned::RULE,
    &messages::message_payload_missing::RULE,
    &messages::message_id_missing::RULE,
    &manifest::dependency_timeout_missing::RULE,
    &manifest::dependency_retry_missing::RULE,
    &manifest::consumer_dead_letter_missing::RULE,
    &manifest::vendored_contract_missing::RULE,
    &manifest::vendored_contract_lock_mismatch::RULE,
    &manifest::manifest_reference_unresolved::RULE,
    &structure::suppression_invalid::RULE,
];

/// The rule named `name` (or with code `name`).
pub fn find(name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.name == name || r.code == name)
}

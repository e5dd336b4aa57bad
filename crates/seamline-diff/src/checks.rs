//! The catalogue of checks. A check names one kind of change; its level depends on the direction in which
//! the changed part travels (see the crate docs), and the docs below say how.

use seamline_diagnostics::RuleInfo;

use crate::Level;

/// One kind of change.
#[derive(Debug)]
pub struct Check {
    /// Stable code, `SEAM-C<number>`.
    pub code: &'static str,
    /// Kebab-case name, used in policies and output.
    pub id: &'static str,
    /// The most severe level the check reaches, in some direction.
    pub worst: Level,
    /// When the change breaks whom.
    pub summary: &'static str,
}

impl Check {
    /// The check as a rule of the SARIF log, at its most severe level.
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            code: self.code,
            name: self.id,
            summary: self.summary,
            default_severity: self.worst.severity(),
        }
    }
}

macro_rules! checks {
    ($($name:ident = $code:literal, $id:literal, $worst:ident, $summary:literal;)*) => {
        $(pub static $name: Check = Check { code: $code, id: $id, worst: Level::$worst, summary: $summary };)*
        /// Every check, once.
        pub static ALL: &[&Check] = &[$(&$name),*];
    };
}

checks! {
    // Schemas: request bodies and parameters (the server reads), responses and event payloads (the client or
    // consumer reads).
    PROPERTY_REMOVED = "SEAM-C001", "property-removed", Breaking,
        "breaking where the other side reads it (responses, events); in requests, breaking only if the schema is closed";
    PROPERTY_ADDED = "SEAM-C002", "property-added", Breaking,
        "breaking when required in a request; in what clients read, breaking only into a closed schema (or any object under the strict open-content policy)";
    PROPERTY_BECAME_REQUIRED = "SEAM-C003", "property-became-required", Breaking,
        "breaking in requests (old clients may omit it); info in what clients read";
    PROPERTY_BECAME_OPTIONAL = "SEAM-C004", "property-became-optional", Breaking,
        "breaking in what clients read (they relied on it); info in requests";
    TYPE_CHANGED = "SEAM-C005", "type-changed", Breaking,
        "breaking, except widening what the server reads (integer to number) or narrowing what it writes";
    FORMAT_CHANGED = "SEAM-C006", "format-changed", Warning,
        "warning: a changed format may reject or surprise the other side";
    ENUM_VALUE_REMOVED = "SEAM-C007", "enum-value-removed", Breaking,
        "breaking in requests (clients send it); info in what clients read";
    ENUM_VALUE_ADDED = "SEAM-C008", "enum-value-added", Warning,
        "warning in what clients read (they may not handle it); info in requests";
    NULLABLE_CHANGED = "SEAM-C009", "nullable-changed", Breaking,
        "breaking when what clients read may now be null, or what the server reads may no longer be";
    ADDITIONAL_PROPERTIES_CHANGED = "SEAM-C010", "additional-properties-changed", Breaking,
        "breaking when a request schema closes or constrains undeclared properties with a schema; warning when a response schema opens or stops constraining them";
    CONSTRAINT_TIGHTENED = "SEAM-C011", "constraint-tightened", Breaking,
        "breaking in requests (values clients send may now be refused); info in what clients read";
    CONSTRAINT_LOOSENED = "SEAM-C012", "constraint-loosened", Breaking,
        "breaking in what clients read (values they never saw); info in requests";
    VARIANT_ADDED = "SEAM-C013", "variant-added", Breaking,
        "a oneOf/anyOf alternative added: breaking in what clients read, info in requests";
    VARIANT_REMOVED = "SEAM-C014", "variant-removed", Breaking,
        "a oneOf/anyOf alternative removed: breaking in requests, info in what clients read";
    // HTTP operations.
    OPERATION_REMOVED = "SEAM-C101", "operation-removed", Breaking,
        "breaking for every client that calls it (a warning when it was deprecated and its sunset has passed)";
    OPERATION_ADDED = "SEAM-C102", "operation-added", Info, "info";
    OPERATION_PATH_CHANGED = "SEAM-C103", "operation-path-changed", Breaking,
        "breaking: the operation (same operationId) moved to another path or method";
    OPERATION_ID_CHANGED = "SEAM-C104", "operation-id-changed", Breaking,
        "breaking for generated clients and for consumers that name the operation in seam.toml";
    OPERATION_DEPRECATED = "SEAM-C105", "operation-deprecated", Info, "info: plan the migration; x-sunset says when";
    PARAMETER_REMOVED = "SEAM-C106", "parameter-removed", Breaking,
        "warning: clients still send it and it is now ignored (breaking for path parameters)";
    PARAMETER_ADDED = "SEAM-C107", "parameter-added", Breaking, "breaking when required; info when optional";
    PARAMETER_BECAME_REQUIRED = "SEAM-C108", "parameter-became-required", Breaking, "breaking";
    PARAMETER_BECAME_OPTIONAL = "SEAM-C109", "parameter-became-optional", Info, "info";
    PARAMETER_MOVED = "SEAM-C110", "parameter-moved", Breaking, "breaking: the same name now travels elsewhere (query to header...)";
    REQUEST_BODY_ADDED = "SEAM-C111", "request-body-added", Breaking, "breaking when required; info when optional";
    REQUEST_BODY_BECAME_REQUIRED = "SEAM-C112", "request-body-became-required", Breaking, "breaking";
    REQUEST_BODY_REMOVED = "SEAM-C113", "request-body-removed", Warning, "warning: clients still send one and it is ignored";
    REQUEST_MEDIA_TYPE_REMOVED = "SEAM-C114", "request-media-type-removed", Breaking, "breaking for clients that send it";
    REQUEST_MEDIA_TYPE_ADDED = "SEAM-C115", "request-media-type-added", Info, "info";
    RESPONSE_STATUS_REMOVED = "SEAM-C116", "response-status-removed", Breaking,
        "breaking for a success status (clients expect it); info for an error status";
    RESPONSE_STATUS_ADDED = "SEAM-C117", "response-status-added", Warning,
        "warning for an error status clients may not handle; info for a success status";
    RESPONSE_MEDIA_TYPE_REMOVED = "SEAM-C118", "response-media-type-removed", Breaking, "breaking for clients that accept only it";
    RESPONSE_MEDIA_TYPE_ADDED = "SEAM-C119", "response-media-type-added", Info, "info";
    RESPONSE_HEADER_REMOVED = "SEAM-C120", "response-header-removed", Breaking, "breaking when it was required; warning otherwise";
    RESPONSE_HEADER_ADDED = "SEAM-C121", "response-header-added", Info, "info";
    SECURITY_REQUIREMENT_ADDED = "SEAM-C122", "security-requirement-added", Breaking,
        "breaking: clients must now present credentials (or scopes) they did not need";
    SECURITY_REQUIREMENT_REMOVED = "SEAM-C123", "security-requirement-removed", Info, "info";
    RESPONSE_HEADER_BECAME_OPTIONAL = "SEAM-C124", "response-header-became-optional", Breaking,
        "breaking: clients relied on a header the server promised to send";
    // Events.
    MESSAGE_REMOVED = "SEAM-C201", "message-removed", Breaking, "breaking for every consumer of that version";
    MESSAGE_ADDED = "SEAM-C202", "message-added", Info, "info";
    MESSAGE_VERSION_ADDED = "SEAM-C203", "message-version-added", Info,
        "info: a new major version beside the old one is the first step of a migration";
    CHANNEL_REMOVED = "SEAM-C204", "channel-removed", Breaking, "breaking for consumers subscribed to it";
    // The comparison itself.
    CONTRACT_UNREADABLE = "SEAM-C300", "contract-unreadable", Breaking,
        "error, never downgraded or ignored: a side cannot be read (a syntax error, an empty file, not a contract, a `$ref` that does not resolve) or the sides are different kinds of contract, so nothing about the change is known";
    CONTRACT_REMOVED = "SEAM-C302", "contract-removed", Breaking,
        "breaking: a contract file compared as a folder or with --against is gone, and all it described with it";
    // The policy itself.
    IGNORE_EXPIRED = "SEAM-C301", "diff-ignore-expired", Warning,
        "warning: a `[[diff.ignore]]` entry is past its `until` date and no longer hides its change";
}

use seamline_syntax::Node;

/// What a document is, judged from its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractKind {
    OpenApi30,
    OpenApi31,
    /// Swagger 2.0: recognised so it can be named, not read.
    Swagger2,
    AsyncApi2,
    AsyncApi3,
    /// A plain JSON Schema file of event messages (one message, or a `$defs` map of them).
    JsonSchema,
    /// A document this version does not read (an unknown `openapi`/`asyncapi` version, or none at all).
    Unknown,
}

impl ContractKind {
    pub fn is_openapi(self) -> bool {
        matches!(self, ContractKind::OpenApi30 | ContractKind::OpenApi31)
    }

    pub fn is_asyncapi(self) -> bool {
        matches!(self, ContractKind::AsyncApi2 | ContractKind::AsyncApi3)
    }

    /// Whether the document describes event messages.
    pub fn is_events(self) -> bool {
        self.is_asyncapi() || self == ContractKind::JsonSchema
    }

    pub fn label(self) -> &'static str {
        match self {
            ContractKind::OpenApi30 => "OpenAPI 3.0",
            ContractKind::OpenApi31 => "OpenAPI 3.1",
            ContractKind::Swagger2 => "Swagger 2.0",
            ContractKind::AsyncApi2 => "AsyncAPI 2.x",
            ContractKind::AsyncApi3 => "AsyncAPI 3.0",
            ContractKind::JsonSchema => "JSON Schema",
            ContractKind::Unknown => "unknown",
        }
    }
}

/// Recognises a contract by its version field; a YAML `openapi: 3.0` read as a number counts too.
pub fn detect_kind(root: &Node) -> ContractKind {
    let version = |key: &str| {
        root.get(key).and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_f64().map(|f| f.to_string()))
        })
    };
    if let Some(v) = version("openapi") {
        return if v.starts_with("3.0") || v == "3" {
            ContractKind::OpenApi30
        } else if v.starts_with("3.1") {
            ContractKind::OpenApi31
        } else {
            ContractKind::Unknown
        };
    }
    if version("swagger").is_some() {
        return ContractKind::Swagger2;
    }
    if let Some(v) = version("asyncapi") {
        return if v.starts_with("2.") {
            ContractKind::AsyncApi2
        } else if v.starts_with("3.") {
            ContractKind::AsyncApi3
        } else {
            ContractKind::Unknown
        };
    }
    let looks_like_schema = ["$schema", "$defs", "definitions", "properties", "type"]
        .iter()
        .any(|k| root.get(k).is_some());
    if looks_like_schema {
        ContractKind::JsonSchema
    } else {
        ContractKind::Unknown
    }
}

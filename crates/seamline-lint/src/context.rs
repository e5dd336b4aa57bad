use std::path::{Path, PathBuf};

use seamline_diagnostics::Label;
use seamline_model::{
    ConsumedContract, ContractKind, DocId, Lock, Manifest, ManifestRead, RefProblem, Workspace,
    detect_kind,
};

/// Why a contract is being linted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractRole {
    /// This service provides it (listed under `[[provides.*]]`), or it was named on the command line.
    Provided,
    /// A vendored copy of another service's contract, listed under `[[consumes.*]]`.
    Consumed { service: String, contract: String },
}

#[derive(Debug, Clone)]
pub struct LoadedContract {
    pub doc: DocId,
    pub kind: ContractKind,
    pub role: ContractRole,
}

/// Everything rules look at: the documents, the manifest and lock when linting a service, and the
/// reference problems found while loading.
pub struct Context<'a> {
    pub ws: &'a Workspace,
    /// The service folder, when linting a service.
    pub service_root: Option<PathBuf>,
    pub manifest: Option<&'a Manifest>,
    pub manifest_read: Option<&'a ManifestRead>,
    /// The lock, or why it could not be read; `None` when there is no lock file.
    pub lock: Option<Result<Lock, String>>,
    pub contracts: Vec<LoadedContract>,
    pub ref_problems: Vec<RefProblem>,
}

impl Context<'_> {
    /// Contracts this service provides (or that were named directly), of the given kind family.
    pub fn provided(&self) -> impl Iterator<Item = &LoadedContract> {
        self.contracts
            .iter()
            .filter(|c| c.role == ContractRole::Provided)
    }

    pub fn provided_openapi(&self) -> impl Iterator<Item = DocId> + '_ {
        self.provided()
            .filter(|c| c.kind.is_openapi())
            .map(|c| c.doc)
    }

    pub fn provided_events(&self) -> impl Iterator<Item = DocId> + '_ {
        self.provided()
            .filter(|c| c.kind.is_events())
            .map(|c| c.doc)
    }

    /// The vendored contract of `service`/`contract`, when it was loaded.
    pub fn consumed(&self, service: &str, contract: &str) -> Option<&LoadedContract> {
        self.contracts.iter().find(|c| {
            matches!(&c.role, ContractRole::Consumed { service: s, contract: k } if s == service && k == contract)
        })
    }

    pub fn manifest_label(&self, pointer: &str, prefer_key: bool) -> Option<Label> {
        let manifest = self.manifest?;
        let (node, key) = manifest.root.locate(pointer)?;
        let span = match key {
            Some(key) if prefer_key => key,
            _ => node.span,
        };
        Some(Label::new(&manifest.source, span))
    }

    /// Where the vendored copy of a consumed contract is: the `spec` given, or the first of
    /// `contracts/vendor/<service>/<contract>[.asyncapi|.openapi|.schema].{yaml,yml,json}` that exists (plain
    /// `<contract>.yaml` when none does).
    pub fn vendored_path(&self, consumed: ConsumedContract<'_>) -> Option<PathBuf> {
        let root = self.service_root.as_deref()?;
        Some(vendored_path(root, consumed))
    }
}

pub(crate) fn vendored_path(root: &Path, consumed: ConsumedContract<'_>) -> PathBuf {
    let candidates = consumed.vendored_candidates();
    candidates
        .iter()
        .map(|c| root.join(c))
        .find(|p| p.is_file())
        .unwrap_or_else(|| root.join(&candidates[0]))
}

pub(crate) fn kind_of(ws: &Workspace, doc: DocId) -> ContractKind {
    ws.doc(doc)
        .root
        .as_ref()
        .map_or(ContractKind::Unknown, detect_kind)
}

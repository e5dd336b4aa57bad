//! `seam.lock`: each vendored contract pinned by version and content hash.

use std::path::Path;

use seamline_syntax::{Format, Limits, Node, SourceFile, parse};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Lock {
    pub source: SourceFile,
    pub root: Node,
    pub contracts: Vec<LockedContract>,
    /// `consumers`: who consumes this service's contracts, as the registry said at the last `seam pull`;
    /// `None` when the lock has no such list.
    pub consumers: Option<Vec<LockedConsumer>>,
}

/// One consumer of one of this service's contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedConsumer {
    pub service: String,
    pub contract: String,
    /// The operations or messages it uses.
    pub uses: Vec<String>,
    /// The environments where a version of it that consumes the contract runs, as the registry said; `None` in
    /// a lock written before the registry told.
    pub environments: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LockedContract {
    pub service: String,
    pub contract: String,
    pub version: String,
    /// Path of the vendored file, relative to the service root, with forward slashes.
    pub path: String,
    pub sha256: String,
    /// Pointer of this entry in the lock file.
    pub pointer: String,
}

impl Lock {
    /// Reads a lock file. `Err` carries a message for a file that cannot be read or has the wrong shape.
    pub fn read(path: &Path, shown_as: &str) -> Result<Lock, String> {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let parsed = parse(shown_as, &bytes, Format::Toml, &Limits::default());
        if let Some(problem) = parsed.problems.first() {
            let at = parsed.source.line_col(problem.span.start);
            return Err(format!("line {}: {}", at.line, problem.message));
        }
        let root = parsed.root.ok_or("the lock file is empty")?;
        let mut contracts = Vec::new();
        for (i, entry) in root
            .get("contract")
            .into_iter()
            .flat_map(|c| c.items())
            .enumerate()
        {
            let field = |key: &str| {
                entry
                    .get(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| format!("entry {} has no string `{key}`", i + 1))
            };
            contracts.push(LockedContract {
                service: field("service")?,
                contract: field("contract")?,
                version: field("version")?,
                path: field("path")?,
                sha256: field("sha256")?,
                pointer: format!("/contract/{i}"),
            });
        }
        let consumers = match root.get("consumers") {
            None => None,
            Some(list) => {
                let items = list
                    .as_array()
                    .ok_or("`consumers` must be an array of tables")?;
                let mut out = Vec::new();
                for (i, entry) in items.iter().enumerate() {
                    let field = |key: &str| {
                        entry
                            .get(key)
                            .and_then(|v| v.as_str())
                            .map(str::to_owned)
                            .ok_or_else(|| format!("consumer {} has no string `{key}`", i + 1))
                    };
                    let strings = |key: &str| {
                        entry.get(key).and_then(|u| u.as_array()).map(|u| {
                            u.iter()
                                .filter_map(|x| x.as_str())
                                .map(str::to_owned)
                                .collect::<Vec<_>>()
                        })
                    };
                    out.push(LockedConsumer {
                        service: field("service")?,
                        contract: field("contract")?,
                        uses: strings("uses").unwrap_or_default(),
                        environments: strings("environments"),
                    });
                }
                Some(out)
            }
        };
        Ok(Lock {
            source: parsed.source,
            root,
            contracts,
            consumers,
        })
    }

    pub fn find(&self, service: &str, contract: &str) -> Option<&LockedContract> {
        self.contracts
            .iter()
            .find(|c| c.service == service && c.contract == contract)
    }
}

/// The SHA-256 of `bytes` as lowercase hex, the form `seam.lock` stores.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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
    /// `migrations`: the active message migrations this service takes part in (as the producer, or as a
    /// consumer of the message), as the registry said at the last `seam pull`; `None` when the lock has no such
    /// list.
    pub migrations: Option<Vec<LockedMigration>>,
}

/// One active migration, as `seam pull` recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedMigration {
    /// The producer.
    pub service: String,
    pub contract: String,
    pub message: String,
    pub from: u32,
    pub to: u32,
    /// The last phase whose gate passed, 1 to 5.
    pub phase: u8,
}

impl LockedMigration {
    pub fn state(&self) -> crate::MigrationState<'_> {
        crate::MigrationState {
            message: &self.message,
            from: self.from,
            to: self.to,
            phase: self.phase,
            state: "active",
        }
    }
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
        let line = |node: &Node| parsed.source.line_col(node.span.start).line;
        let consumers = tables(&root, "consumers", &line, |entry, field| {
            let strings = |key: &str| {
                entry.get(key).and_then(|u| u.as_array()).map(|u| {
                    u.iter()
                        .filter_map(|x| x.as_str())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
            };
            Ok(LockedConsumer {
                service: field("service")?,
                contract: field("contract")?,
                uses: strings("uses").unwrap_or_default(),
                environments: strings("environments"),
            })
        })?;
        let migrations = tables(&root, "migrations", &line, |entry, field| {
            let number = |key: &str, max: i64| {
                entry
                    .get(key)
                    .and_then(Node::as_i64)
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| format!("a migration has no `{key}` from 1 to {max}"))
            };
            Ok(LockedMigration {
                service: field("service")?,
                contract: field("contract")?,
                message: field("message")?,
                from: number("from", i64::from(u32::MAX))? as u32,
                to: number("to", i64::from(u32::MAX))? as u32,
                phase: number("phase", 5)? as u8,
            })
        })?;
        Ok(Lock {
            source: parsed.source,
            root,
            contracts,
            consumers,
            migrations,
        })
    }

    pub fn find(&self, service: &str, contract: &str) -> Option<&LockedContract> {
        self.contracts
            .iter()
            .find(|c| c.service == service && c.contract == contract)
    }
}

/// The array of inline tables `key` holds, each read by `read` (given the entry and a reader of its string
/// fields); `None` when the lock has no `key`. An error starts with the line it is on.
fn tables<T>(
    root: &Node,
    key: &str,
    line: &dyn Fn(&Node) -> u32,
    read: impl Fn(&Node, &dyn Fn(&str) -> Result<String, String>) -> Result<T, String>,
) -> Result<Option<Vec<T>>, String> {
    let Some(list) = root.get(key) else {
        return Ok(None);
    };
    let items = list
        .as_array()
        .ok_or_else(|| format!("line {}: `{key}` must be an array of tables", line(list)))?;
    let mut out = Vec::new();
    for (i, entry) in items.iter().enumerate() {
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("{key} entry {} has no string `{name}`", i + 1))
        };
        out.push(read(entry, &field).map_err(|e| format!("line {}: {e}", line(entry)))?);
    }
    Ok(Some(out))
}

/// The SHA-256 of `bytes` as lowercase hex, the form `seam.lock` stores.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Lock, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seam.lock");
        std::fs::write(&path, text).unwrap();
        Lock::read(&path, "seam.lock")
    }

    #[test]
    fn migrations_are_read_with_their_phase() {
        let lock = read(
            "version = 1\nmigrations = [\n  { service = \"inventory-service\", contract = \"inventory-events\", \
             message = \"inventory.stock_reserved\", from = 1, to = 2, phase = 3 },\n]\n",
        )
        .unwrap();
        let m = &lock.migrations.unwrap()[0];
        assert_eq!(
            (
                m.service.as_str(),
                m.message.as_str(),
                m.from,
                m.to,
                m.phase
            ),
            ("inventory-service", "inventory.stock_reserved", 1, 2, 3)
        );
        assert_eq!(m.state().phase, 3);
        assert!(read("version = 1\n").unwrap().migrations.is_none());
        assert_eq!(
            read("migrations = []\n").unwrap().migrations,
            Some(Vec::new())
        );
    }

    #[test]
    fn a_migration_out_of_range_is_refused_with_what_is_wrong() {
        let entry = |phase: &str| {
            format!(
                "migrations = [{{ service = \"a\", contract = \"b\", message = \"m\", from = 1, to = 2, phase = {phase} }}]\n"
            )
        };
        assert_eq!(
            read(&entry("6")).unwrap_err(),
            "line 1: a migration has no `phase` from 1 to 5"
        );
        assert_eq!(
            read(&format!("version = 1\n{}", entry("\"two\""))).unwrap_err(),
            "line 2: a migration has no `phase` from 1 to 5"
        );
        assert_eq!(
            read("migrations = [{ service = \"a\" }]\n").unwrap_err(),
            "line 1: migrations entry 1 has no string `contract`"
        );
        assert_eq!(
            read("migrations = 3\n").unwrap_err(),
            "line 1: `migrations` must be an array of tables"
        );
    }
}

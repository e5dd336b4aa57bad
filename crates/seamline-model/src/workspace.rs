use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use seamline_syntax::{Format, Limits, SourceFile, parse};

use crate::document::{DocId, Document};
use crate::refs::{self, RefError, Target};

/// How documents are read and how far references may reach.
#[derive(Debug, Clone)]
pub struct WorkspaceOptions {
    /// References may not reach files outside this folder (normally the repository root).
    pub root: PathBuf,
    /// Files are shown relative to this folder (normally the current directory).
    pub display_base: PathBuf,
    /// Accept `http(s)://` references instead of refusing them. They are still not fetched.
    pub allow_remote_refs: bool,
    pub limits: Limits,
}

/// Every document read for one run, with references between them resolved on demand.
#[derive(Debug)]
pub struct Workspace {
    pub options: WorkspaceOptions,
    docs: Vec<Document>,
    by_path: HashMap<PathBuf, DocId>,
}

impl Workspace {
    pub fn new(options: WorkspaceOptions) -> Self {
        let root = std::fs::canonicalize(&options.root).unwrap_or_else(|_| options.root.clone());
        Workspace {
            options: WorkspaceOptions { root, ..options },
            docs: Vec::new(),
            by_path: HashMap::new(),
        }
    }

    pub fn doc(&self, id: DocId) -> &Document {
        &self.docs[id.0]
    }

    pub fn docs(&self) -> impl Iterator<Item = (DocId, &Document)> {
        self.docs.iter().enumerate().map(|(i, d)| (DocId(i), d))
    }

    /// The document for `path`, reading it the first time. A file that cannot be read still gets a document,
    /// with `io_error` set.
    pub fn load(&mut self, path: &Path) -> DocId {
        if let Some(&id) = self.by_path.get(&normalize(path)) {
            return id;
        }
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path));
        if let Some(&id) = self.by_path.get(&canonical) {
            return id;
        }
        let name = self.display_name(&canonical);
        let doc = match std::fs::read(&canonical) {
            Ok(bytes) => {
                let format = Format::detect(&name, &bytes);
                let parsed = parse(&name, &bytes, format, &self.options.limits);
                Document {
                    path: canonical.clone(),
                    source: parsed.source,
                    root: parsed.root,
                    problems: parsed.problems,
                    io_error: None,
                }
            }
            Err(err) => Document {
                path: canonical.clone(),
                source: SourceFile::new(name, String::new()),
                root: None,
                problems: Vec::new(),
                io_error: Some(err.to_string()),
            },
        };
        let id = DocId(self.docs.len());
        self.docs.push(doc);
        self.by_path.insert(canonical, id);
        id
    }

    /// Adds a document from memory under `path` (absolute), as if that file held `bytes`. Used for files read
    /// from elsewhere than the working tree (a git revision, a registry) and by the fuzzer.
    pub fn add_virtual(&mut self, path: &Path, bytes: &[u8]) -> DocId {
        let name = self.display_name(&normalize(path));
        self.add_virtual_as(path, &name, bytes)
    }

    /// Like [`Workspace::add_virtual`], shown as `name` (such as `main:contracts/api.yaml`).
    pub fn add_virtual_as(&mut self, path: &Path, name: &str, bytes: &[u8]) -> DocId {
        let path = normalize(path);
        if let Some(&id) = self.by_path.get(&path) {
            return id;
        }
        let name = name.to_owned();
        let format = Format::detect(&name, bytes);
        let parsed = parse(&name, bytes, format, &self.options.limits);
        let id = DocId(self.docs.len());
        self.docs.push(Document {
            path: path.clone(),
            source: parsed.source,
            root: parsed.root,
            problems: parsed.problems,
            io_error: None,
        });
        self.by_path.insert(path, id);
        id
    }

    /// Reads `path` and every file its references reach, transitively.
    pub fn load_with_refs(&mut self, path: &Path) -> DocId {
        let first = self.load(path);
        let mut queue = VecDeque::from([first]);
        let mut seen = vec![false; self.docs.len()];
        while let Some(id) = queue.pop_front() {
            if seen.get(id.0).copied().unwrap_or(false) {
                continue;
            }
            if seen.len() <= id.0 {
                seen.resize(id.0 + 1, false);
            }
            seen[id.0] = true;
            let mut files = Vec::new();
            if let Some(root) = &self.docs[id.0].root {
                refs::for_each_ref(root, &mut |_, value| {
                    let reference = value.as_str().unwrap_or_default();
                    if let Ok(Some(file)) = self.file_of(id, reference) {
                        files.push(file);
                    }
                });
            }
            for file in files {
                if let Some(&known) = self.by_path.get(&file) {
                    queue.push_back(known);
                } else if file.is_file() {
                    queue.push_back(self.load(&file));
                }
            }
        }
        first
    }

    /// The files that `$ref`s in document `doc` name (local ones, inside the repository), whether or not they exist.
    pub fn referenced_files(&self, doc: DocId) -> Vec<PathBuf> {
        let mut files = Vec::new();
        if let Some(root) = &self.docs[doc.0].root {
            refs::for_each_ref(root, &mut |_, value| {
                if let Ok(Some(file)) = self.file_of(doc, value.as_str().unwrap_or_default())
                    && !files.contains(&file)
                {
                    files.push(file);
                }
            });
        }
        files
    }

    /// The document already read for the file `reference` (written in `from`) names, if any.
    pub(crate) fn loaded_target(&self, from: DocId, reference: &str) -> Option<DocId> {
        let path = self.file_of(from, reference).ok()??;
        self.by_path.get(&path).copied()
    }

    /// The file a reference names, or `None` for a reference within the same document.
    pub(crate) fn file_of(
        &self,
        from: DocId,
        reference: &str,
    ) -> Result<Option<PathBuf>, RefError> {
        let (file, _) = refs::split(reference);
        if file.is_empty() {
            return Ok(None);
        }
        if refs::is_remote(file) {
            return Err(RefError::Remote);
        }
        let decoded = refs::percent_decode(file);
        let base = self.docs[from.0].path.parent().unwrap_or(Path::new("/"));
        let joined = normalize(&base.join(decoded.as_ref()));
        let resolved = std::fs::canonicalize(&joined).unwrap_or(joined);
        if !resolved.starts_with(&self.options.root) {
            return Err(RefError::EscapesRoot);
        }
        Ok(Some(resolved))
    }

    /// Where `reference`, written in document `from`, points.
    pub fn resolve(&self, from: DocId, reference: &str) -> Result<Target, RefError> {
        let doc = match self.file_of(from, reference) {
            Ok(None) => from,
            Ok(Some(path)) => match self.by_path.get(&path) {
                Some(&id) if self.docs[id.0].io_error.is_none() => id,
                _ => return Err(RefError::FileNotFound),
            },
            Err(RefError::Remote) if self.options.allow_remote_refs => {
                return Err(RefError::RemoteSkipped);
            }
            Err(err) => return Err(err),
        };
        let (_, fragment) = refs::split(reference);
        let pointer = refs::fragment_pointer(fragment)?;
        let target = &self.docs[doc.0];
        match &target.root {
            Some(root) if root.pointer(&pointer).is_some() => Ok(Target { doc, pointer }),
            Some(_) => Err(RefError::PointerNotFound),
            None => Err(RefError::FileNotFound),
        }
    }

    /// The node a value stands for: itself, or where its `$ref` chain ends. Chains longer than 64 or circular
    /// give `None`; [`Workspace::ref_problems`] reports why.
    pub fn deref<'a>(
        &'a self,
        doc: DocId,
        pointer: &str,
    ) -> Option<(DocId, String, &'a seamline_syntax::Node)> {
        let mut doc = doc;
        let mut pointer = pointer.to_owned();
        for _ in 0..64 {
            let node = self.docs[doc.0].node(&pointer)?;
            match node.get("$ref").and_then(|r| r.as_str()) {
                Some(reference) => {
                    let target = self.resolve(doc, reference).ok()?;
                    doc = target.doc;
                    pointer = target.pointer;
                }
                None => return Some((doc, pointer, node)),
            }
        }
        None
    }

    /// How `path` is shown: relative to the display base when it is below it.
    pub fn display_name(&self, path: &Path) -> String {
        let base = std::fs::canonicalize(&self.options.display_base)
            .unwrap_or_else(|_| self.options.display_base.clone());
        let absolute = absolute(path);
        let shown = absolute.strip_prefix(&base).unwrap_or(&absolute);
        shown.to_string_lossy().replace('\\', "/")
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&std::env::current_dir().unwrap_or_default().join(path))
    }
}

/// Removes `.` and resolves `..` without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

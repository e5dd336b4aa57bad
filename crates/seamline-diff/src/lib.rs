//! Changes between two versions of a contract, each classified the way a careful reviewer would: by which side
//! writes and which side reads the part that changed.
//!
//! - In an HTTP request the client writes and the server reads: a new required field breaks clients.
//! - In an HTTP response the server writes and the client reads: a removed field breaks readers.
//! - An event is written by its producer and read by its consumers, like a response.
//!
//! Findings are [`seamline_diagnostics::Diagnostic`]s (breaking = error, warning, info), so every renderer of
//! the lint works for diffs too. The check catalogue is [`checks::ALL`].

mod cannot_judge;
pub mod checks;
mod events;
mod openapi;
mod policy;
mod report;
mod schema;
mod usage;

pub use cannot_judge::CannotJudge;
pub use policy::apply_policy;

pub use report::{Change, Level, Side, Usage};
pub use usage::{ConsumerVerdict, published_messages, verdict, verdict_with_published};

use seamline_model::{DocId, Workspace};

/// Settings of one comparison.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Today's date (`YYYY-MM-DD`) for `x-sunset` decisions; the system's date when absent.
    pub today: Option<String>,
    /// Whether adding an optional property to an object that allows other properties is breaking. Schema
    /// registries say yes (`strict`): a reader may already interpret an undeclared property of that name. The
    /// default (`lenient`) says no: such a reader is rare, and the rule forbids the most common safe change.
    pub strict_open_content: bool,
    /// How event payloads are judged, as schema registries name it.
    pub mode: Compatibility,
}

/// Which readers must cope with which writers, for event payloads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compatibility {
    /// Consumers still on the old schema read what the new one describes (producers upgrade first). The
    /// default: a contract change is usually the producer's.
    #[default]
    Forward,
    /// Consumers on the new schema read what was written with the old one (consumers upgrade first, or old
    /// events are replayed).
    Backward,
    /// Both.
    Full,
}

impl Compatibility {
    /// The directions a payload is judged in. A message the documented application sends is read by others,
    /// like a response; one it receives is written by others and read by it, like a request.
    pub(crate) fn flows(self, received: bool) -> &'static [schema::Flow] {
        use schema::Flow::{Request, Response};
        match (self, received) {
            (Compatibility::Forward, false) | (Compatibility::Backward, true) => &[Response],
            (Compatibility::Backward, false) | (Compatibility::Forward, true) => &[Request],
            (Compatibility::Full, _) => &[Response, Request],
        }
    }
}

impl DiffOptions {
    /// `today`, or the system's date.
    pub fn today(&self) -> String {
        self.today.clone().unwrap_or_else(today_utc)
    }
}

/// The current UTC date as `YYYY-MM-DD`.
fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (year, month, day) = seamline_model::civil::date_from_days(secs.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Compares document `old` of workspace `old_ws` with document `new` of `new_ws`. When either side cannot be
/// judged ([`Workspace::judgeable`]: unreadable, empty, not a contract, a `$ref` it reaches does not resolve) or
/// the two are different kinds of contract, the answer is [`CannotJudge`], never an empty list of changes.
pub fn diff_documents(
    old_ws: &Workspace,
    old: DocId,
    new_ws: &Workspace,
    new: DocId,
    options: &DiffOptions,
) -> Result<Vec<Change>, CannotJudge> {
    let (old_kind, new_kind) = match (old_ws.judgeable(old), new_ws.judgeable(new)) {
        (Ok(old_kind), Ok(new_kind)) => (old_kind, new_kind),
        (old_kind, new_kind) => {
            return Err(CannotJudge {
                old: old_kind.err().unwrap_or_default(),
                new: new_kind.err().unwrap_or_default(),
            });
        }
    };
    let old_side = Side {
        ws: old_ws,
        doc: old,
    };
    let new_side = Side {
        ws: new_ws,
        doc: new,
    };
    let mut out = Vec::new();
    if old_kind.is_openapi() && new_kind.is_openapi() {
        openapi::compare(old_side, new_side, options, &mut out);
    } else if old_kind.is_events() && new_kind.is_events() {
        events::compare(old_side, new_side, options, &mut out);
    } else {
        return Err(CannotJudge::kinds_differ(
            old_ws, old, old_kind, new_ws, new, new_kind,
        ));
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(out)
}

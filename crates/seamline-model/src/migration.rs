//! The five phases of a message's schema migration and what each party must do in them, in one place: the
//! registry's `seam migrate status` judges deployed manifests with it, the assistant files judge the working
//! copy's `seam.toml` with it, and both say the same words.

/// The phases, in order; phase `n` is `MIGRATION_PHASES[n - 1]`.
pub const MIGRATION_PHASES: [&str; 5] = [
    "new version defined",
    "dual-publish",
    "consumers accept both",
    "nobody reads the old version",
    "old version removed",
];

/// The name of phase `phase` (clamped to 1 to 5).
pub fn phase_name(phase: u8) -> &'static str {
    MIGRATION_PHASES[usize::from(phase.clamp(1, 5)) - 1]
}

/// Where one message's migration stands: enough to say what a producer or a consumer must do now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationState<'a> {
    pub message: &'a str,
    pub from: u32,
    pub to: u32,
    /// The last phase whose gate passed, 1 to 5.
    pub phase: u8,
    /// `active`, `done` or `aborted`.
    pub state: &'a str,
}

impl MigrationState<'_> {
    /// The producer's duty, given the versions of the message its `seam.toml` publishes (`None`: unversioned).
    pub fn producer_duty(&self, publishes: &[Option<u32>]) -> String {
        let m = self;
        match m.state {
            "aborted" => return "the migration was aborted: nothing to do for it".into(),
            "done" => return format!("done: v{} is no longer published", m.from),
            _ => {}
        }
        let publishes = |v: u32| publishes.contains(&Some(v));
        if !publishes(m.to) {
            format!(
                "publish v{} beside v{}: add [[publishes]] message = \"{}@{}\" and deploy",
                m.to, m.from, m.message, m.to
            )
        } else if m.phase < 4 {
            format!("publish both v{} and v{} until phase 5", m.from, m.to)
        } else if publishes(m.from) {
            format!(
                "phase 4 passed: remove v{} (drop {}@{} from [[publishes]] and the contract) and deploy",
                m.from, m.message, m.from
            )
        } else {
            format!("v{} is no longer published here", m.from)
        }
    }

    /// A consumer's duty, given the versions of the message its `seam.toml` lists and, when traces show it still
    /// reading the old version, when it last did.
    pub fn consumer_duty(&self, listed: &[Option<u32>], reads_old: Option<&str>) -> String {
        let m = self;
        match m.state {
            "aborted" => return "the migration was aborted: nothing to do for it".into(),
            "done" => {
                return format!(
                    "v{} is gone: drop {}@{} from seam.toml",
                    m.from, m.message, m.from
                );
            }
            _ => {}
        }
        if !listed.contains(&Some(m.to)) {
            format!(
                "accept v{}: seam.toml lists only {}; add {}@{} and deploy",
                m.to,
                list_versions(listed.iter().copied()),
                m.message,
                m.to
            )
        } else if let Some(last) = reads_old {
            format!(
                "accepts v{} but still reads v{} (last {last}): move its reading to v{}",
                m.to, m.from, m.to
            )
        } else if !listed.contains(&Some(m.from)) && m.phase < 5 {
            format!(
                "accepts only v{}: v{} is published until phase 5, and what comes as v{} is not read",
                m.to, m.from, m.from
            )
        } else if m.phase >= 4 {
            format!(
                "accepts v{}; may drop {}@{} from seam.toml once phase 5 is reached",
                m.to, m.message, m.from
            )
        } else {
            format!(
                "accepts both v{} and v{}: keep both until phase 5",
                m.from, m.to
            )
        }
    }
}

/// `v1 and v2`, `any version`, `no version`.
pub fn list_versions(versions: impl Iterator<Item = Option<u32>>) -> String {
    let mut versions: Vec<Option<u32>> = versions.collect();
    versions.sort_unstable();
    versions.dedup();
    if versions.is_empty() {
        return "no version".into();
    }
    versions
        .iter()
        .map(|v| v.map_or_else(|| "any version".to_owned(), |v| format!("v{v}")))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `text` as one URL path segment, every byte outside the unreserved set percent-encoded: a message name is free
/// text (1 to 256 characters, none a control character), so the CLI, the MCP server and the web UI put it in a
/// path this way.
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(phase: u8) -> MigrationState<'static> {
        MigrationState {
            message: "inventory.stock_reserved",
            from: 1,
            to: 2,
            phase,
            state: "active",
        }
    }

    #[test]
    fn a_message_is_one_path_segment_whatever_it_holds() {
        assert_eq!(
            path_segment("inventory.stock_reserved"),
            "inventory.stock_reserved"
        );
        assert_eq!(
            path_segment("a/b?c#d%e f<é>"),
            "a%2Fb%3Fc%23d%25e%20f%3C%C3%A9%3E"
        );
    }

    #[test]
    fn a_producer_publishes_both_until_the_old_version_may_go() {
        assert!(
            at(1)
                .producer_duty(&[Some(1)])
                .starts_with("publish v2 beside v1")
        );
        assert_eq!(
            at(2).producer_duty(&[Some(1), Some(2)]),
            "publish both v1 and v2 until phase 5"
        );
        assert!(
            at(4)
                .producer_duty(&[Some(1), Some(2)])
                .starts_with("phase 4 passed: remove v1")
        );
        assert_eq!(
            at(4).producer_duty(&[Some(2)]),
            "v1 is no longer published here"
        );
    }

    #[test]
    fn a_consumer_is_told_to_accept_the_new_version_and_when_it_may_drop_the_old() {
        assert_eq!(
            at(2).consumer_duty(&[Some(1)], None),
            "accept v2: seam.toml lists only v1; add inventory.stock_reserved@2 and deploy"
        );
        assert_eq!(
            at(3).consumer_duty(&[Some(1), Some(2)], None),
            "accepts both v1 and v2: keep both until phase 5"
        );
        assert!(
            at(3)
                .consumer_duty(&[Some(1), Some(2)], Some("2026-12-05T10:00:00.000Z"))
                .contains("still reads v1 (last 2026-12-05T10:00:00.000Z)")
        );
        assert!(
            at(2)
                .consumer_duty(&[Some(2)], None)
                .starts_with("accepts only v2: v1 is published until phase 5")
        );
        assert!(
            at(4)
                .consumer_duty(&[Some(1), Some(2)], None)
                .contains("may drop")
        );
        assert_eq!(
            list_versions([Some(2), None, Some(1), Some(2)].into_iter()),
            "any version and v1 and v2"
        );
    }
}

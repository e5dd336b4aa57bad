//! The migrations pages: every migration, and one migration with its five gates judged now, who takes part in
//! each environment and what each has to do, and the steps taken so far. What they show is what
//! `seam migrate status` prints, from [`Store::migration_status`](crate::store::Store::migration_status).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use maud::{Markup, html};

use super::{Page, page, service_link, when};
use crate::api::{App, may_read};
use crate::migrate::{Gate, Migration, PHASES, Party, Status, duration};
use crate::store::StoreError;

/// `/migrations`: the active ones first, then the rest, newest first.
pub(super) async fn migrations(State(app): State<App>, headers: HeaderMap) -> Page {
    may_read(&app, &headers).await?;
    let list = app.store.migrations().await?;
    Ok(page(
        "Migrations",
        html! {
            p.muted { "Each moves one message of a producer from one major version to the next in five phases; a phase is reached only when its gate holds, judged from published contracts, deployed manifests and the message versions spans show." }
            @if list.is_empty() {
                p.muted { "No migration yet: run " code { "seam migrate start CONTRACT MESSAGE --from 1 --to 2" } " in the producer's repository." }
            } @else {
                (table(&list, true))
            }
        },
    ))
}

/// `/migrations/{service}/{message}`: the active migration of the message, else the latest.
pub(super) async fn migration(
    State(app): State<App>,
    headers: HeaderMap,
    Path((service, message)): Path<(String, String)>,
) -> Page {
    may_read(&app, &headers).await?;
    let Some(migration) = app.store.migration(&service, &message).await? else {
        return Err(StoreError::NoMigration(format!(
            "{service} has no migration of {message}; start one with `seam migrate start`"
        ))
        .into());
    };
    let status = app.store.migration_status(&migration).await?;
    Ok(page(&migration.title(), detail(&status)))
}

/// The migrations of one producer, for its service page; nothing when it has none.
pub(super) fn of_service(list: &[Migration]) -> Markup {
    html! {
        @if !list.is_empty() {
            h2 { "Migrations" }
            (table(list, false))
        }
    }
}

/// The link to a migration's page. The message is free text (the API takes any 1 to 256 characters but control
/// characters), so it goes into the path percent-encoded.
pub(crate) fn href(m: &Migration) -> String {
    format!(
        "/migrations/{}/{}",
        m.service,
        seamline_model::path_segment(&m.message)
    )
}

/// `2 of 5: dual-publish`.
fn phase_of(m: &Migration) -> String {
    let phase = m.phase.clamp(1, 5);
    format!(
        "{phase} of {}: {}",
        PHASES.len(),
        PHASES[usize::from(phase) - 1]
    )
}

fn state_badge(state: &str) -> Markup {
    let class = match state {
        "active" => "warning",
        "done" => "yes",
        _ => "no",
    };
    html! { span class={"badge state " (class)} { (state) } }
}

fn table(list: &[Migration], with_producer: bool) -> Markup {
    html! {
        table.migrations {
            thead {
                tr {
                    @if with_producer { th scope="col" { "Producer" } }
                    th scope="col" { "Message" } th scope="col" { "Versions" } th scope="col" { "Phase" }
                    th scope="col" { "State" } th scope="col" { "Started" }
                }
            }
            tbody {
                @for m in list {
                    tr data-service=(m.service) data-message=(m.message) data-state=(m.state) {
                        @if with_producer { td { (service_link(&m.service)) } }
                        td { a href=(href(m)) { (m.message) } br; span.muted { (m.contract) } }
                        td { "v" (m.from) " → v" (m.to) }
                        td { (phase_of(m)) }
                        td { (state_badge(&m.state)) }
                        td { (when(m.started_ms)) }
                    }
                }
            }
        }
    }
}

fn detail(status: &Status) -> Markup {
    let m = &status.migration;
    let next = status.next.map(|n| status.gate(n));
    html! {
        p {
            "Producer " (service_link(&m.service)) " · contract " code { (m.contract) }
            " · " (state_badge(&m.state)) " · phase " (phase_of(m))
        }
        p.muted {
            "Started " (when(m.started_ms)) " · last step " (when(m.updated_ms))
            " · the old version must go unread for " (duration(m.window_ms))
            " · gates judged " (when(status.evaluated_ms))
        }
        h2 #phases { "Phases" }
        (stepper(status))
        @if let Some(gate) = next {
            h2 #next { "Next: phase " (gate.phase) ", " (gate.name) }
            (gate_body(gate, true))
            @if gate.passed {
                p { "Nothing blocks it: " code { "seam migrate advance " (m.message) } " in " (m.service) "'s repository moves the migration on." }
            }
        } @else if m.state == "done" {
            p { "Done: " (m.message) " v" (m.from) " is no longer published." }
        } @else {
            p { "Aborted: the gates no longer apply, and can-i-deploy judges removals by manifests and spans alone." }
        }
        h2 #gates { "Every gate now" }
        @for gate in &status.gates {
            @if next.is_none_or(|n| n.phase != gate.phase) {
                section.gate id={"gate-" (gate.phase)} data-phase=(gate.phase) aria-labelledby={"gate-" (gate.phase) "-title"} {
                    h3 id={"gate-" (gate.phase) "-title"} { (gate.phase) ". " (gate.name) " " (gate_badge(gate)) }
                    (gate_body(gate, gate.phase <= m.phase))
                }
            }
        }
        h2 #parties { "Who takes part" }
        @if status.environments.is_empty() {
            p.muted { (m.service) " is deployed in no environment." }
        }
        @for env in &status.environments {
            h3 { (env.environment) }
            (parties(&env.environment, &env.parties, status.evaluated_ms))
        }
        h2 #history { "History" }
        table #steps {
            thead { tr { th scope="col" { "When" } th scope="col" { "Step" } th scope="col" { "Phase after" } th scope="col" { "Token" } th scope="col" { "Note" } } }
            tbody {
                @for step in &m.history {
                    tr data-action=(step.action) {
                        td { (when(step.at_ms)) }
                        td { (step.action) }
                        td { (step.phase) }
                        td { code { (step.by) } }
                        td { (step.note) }
                    }
                }
            }
        }
    }
}

fn gate_badge(gate: &Gate) -> Markup {
    html! {
        @if gate.passed { span.badge.yes { "holds" } } @else { span.badge.no { "shut" } }
    }
}

/// The phases in order: reached or not, the next one marked, and whether each gate holds now (a reached gate
/// can shut again, when a deployment since took its evidence away).
fn stepper(status: &Status) -> Markup {
    let reached = status.migration.phase;
    html! {
        ol.stepper aria-label="Phases" {
            @for gate in &status.gates {
                @let is_next = status.next == Some(gate.phase);
                li.step.reached[gate.phase <= reached].next[is_next]
                    data-phase=(gate.phase)
                    aria-current=[(gate.phase == reached).then_some("step")] {
                    span.number { (gate.phase) } " "
                    strong { (gate.name) } br;
                    @if gate.phase <= reached { span.progress { "reached" } " · " }
                    @if is_next { span.progress { "next" } " · " }
                    "gate " (gate_badge(gate))
                }
            }
        }
    }
}

/// What keeps a gate shut and what it rests on. The blockers of a gate not reached yet and not next are folded:
/// they matter once the gates before them hold.
fn gate_body(gate: &Gate, open: bool) -> Markup {
    html! {
        @if !gate.blockers.is_empty() {
            details.blockers data-phase=(gate.phase) open[open] {
                summary { "What keeps it shut (" (gate.blockers.len()) ")" }
                ul { @for b in &gate.blockers { li { (b) } } }
            }
        }
        @if !gate.evidence.is_empty() {
            p { "Evidence:" }
            ul.evidence data-phase=(gate.phase) { @for e in &gate.evidence { li { (e) } } }
        }
    }
}

fn parties(environment: &str, parties: &[Party], now_ms: i64) -> Markup {
    html! {
        table.parties data-environment=(environment) {
            thead {
                tr {
                    th scope="col" { "Service" } th scope="col" { "Role" } th scope="col" { "Deployed" }
                    th scope="col" { "Declares" } th scope="col" { "Spans show" } th scope="col" { "Duty" }
                }
            }
            tbody {
                @for p in parties {
                    tr data-service=(p.service) data-role=(p.role) {
                        td { (service_link(&p.service)) }
                        td { (p.role) }
                        td { code { (p.version.as_deref().unwrap_or("—")) } }
                        td { @if p.declares.is_empty() { "—" } @else { (p.declares.join(", ")) } }
                        td {
                            @if p.seen.is_empty() { span.muted { "nothing in the window" } }
                            @for s in &p.seen {
                                div.seen {
                                    (s.role) " v" (s.version) " ×" (s.count) ", last "
                                    time datetime=(crate::migrate::rfc3339_ms(s.last_seen_ms)) { (when(s.last_seen_ms)) }
                                    " (" (ago(now_ms, s.last_seen_ms)) ")"
                                    @if let Some(trace) = &s.trace_id { br; "trace " code.trace { (trace) } }
                                }
                            }
                        }
                        td.duty { (p.duty) }
                    }
                }
            }
        }
    }
}

/// `4 min ago`: how long before `now_ms`, to the largest whole unit.
fn ago(now_ms: i64, then_ms: i64) -> String {
    let seconds = now_ms.saturating_sub(then_ms).max(0) / 1000;
    match seconds {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..86_400 => format!("{} h ago", seconds / 3600),
        _ => format!("{} d ago", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn times_read_as_how_long_ago() {
        assert_eq!(ago(10_000, 10_000), "just now");
        assert_eq!(ago(10_000, 20_000), "just now");
        assert_eq!(ago(5 * 60_000 + 1, 0), "5 min ago");
        assert_eq!(ago(3 * 3_600_000, 0), "3 h ago");
        assert_eq!(ago(9 * 86_400_000, 0), "9 d ago");
    }
}

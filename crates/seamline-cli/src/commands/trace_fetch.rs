//! Fetching one trace from a Jaeger or Tempo query API. The only network I/O of `seam trace`, and only on request.

use std::time::Duration;

use anyhow::{Context as _, bail};

/// `(name for messages, body)` of the first endpoint that has the trace.
fn fetch(base: &str, paths: &[String], what: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let base = base.trim_end_matches('/');
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut tried = Vec::new();
    for path in paths {
        let url = format!("{base}{path}");
        let mut response = agent
            .get(&url)
            .header("Accept", "application/json")
            .call()
            .with_context(|| format!("cannot reach {what} at {url}"))?;
        let status = response.status().as_u16();
        if status == 200 {
            let body = response
                .body_mut()
                .with_config()
                .limit(512 * 1024 * 1024)
                .read_to_vec()
                .with_context(|| format!("reading the answer of {url}"))?;
            return Ok((url, body));
        }
        tried.push(format!("{url}: HTTP {status}"));
    }
    bail!("{what} has no such trace ({})", tried.join("; "))
}

/// Jaeger: the v3 API (OTLP inside `result`), then the query API of v1 (`{"data":[…]}`).
pub(crate) fn jaeger(base: &str, trace_id: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let id = check_id(trace_id)?;
    fetch(
        base,
        &[format!("/api/v3/traces/{id}"), format!("/api/traces/{id}")],
        "Jaeger",
    )
}

/// Tempo: the v2 API (`{"trace":{…}}`), then v1 (`{"batches":[…]}`).
pub(crate) fn tempo(base: &str, trace_id: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let id = check_id(trace_id)?;
    fetch(
        base,
        &[format!("/api/v2/traces/{id}"), format!("/api/traces/{id}")],
        "Tempo",
    )
}

/// Trace ids go into a URL path: hex only.
fn check_id(id: &str) -> anyhow::Result<String> {
    let id = id.trim();
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("`{id}` is not a trace id (up to 32 hex digits)");
    }
    Ok(id.to_ascii_lowercase())
}

//! The registry's HTTP API from the command line: blocking (the CLI has no async runtime outside `seam serve`),
//! with the bearer token from SEAM_TOKEN and the server's problem details turned into messages.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::args::RegistryArgs;

pub(crate) struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// An answer: its HTTP status and JSON body (`Null` when empty).
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Client {
    /// The registry named by `--registry`, else SEAM_REGISTRY, else `[registry] url` of the manifest in `dir`.
    pub(crate) fn new(args: &RegistryArgs, dir: &Path) -> anyhow::Result<Client> {
        let from_manifest = || {
            let path = dir.join("seam.toml");
            let read = seamline_model::read_manifest(&path, "seam.toml").ok()?;
            Some(read.manifest?.registry_url?.value)
        };
        let Some(base) = args
            .registry
            .clone()
            .or_else(|| {
                std::env::var("SEAM_REGISTRY")
                    .ok()
                    .filter(|v| !v.is_empty())
            })
            .or_else(from_manifest)
        else {
            bail!(
                "no registry given: pass --registry URL, set SEAM_REGISTRY, or add `[registry] url = \"…\"` to seam.toml"
            );
        };
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the registry URL must start with http:// or https://, not `{base}`");
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            base: base.trim_end_matches('/').to_owned(),
            token: std::env::var("SEAM_TOKEN").ok().filter(|t| !t.is_empty()),
            agent,
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.call("GET", path, None)
    }

    pub(crate) fn put(&self, path: &str, body: &Value) -> anyhow::Result<Answer> {
        self.call("PUT", path, Some(body))
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> anyhow::Result<Answer> {
        self.call("POST", path, Some(body))
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Answer> {
        let url = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Accept", "application/json");
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let sent = match body {
            Some(body) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(body.to_string())?,
            ),
            None => self.agent.run(request.body(())?),
        };
        let mut response = sent.with_context(|| format!("cannot reach the registry at {url}"))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .with_context(|| format!("reading the registry's answer to {method} {url}"))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Answer { status, body })
    }
}

impl Answer {
    /// The body of a 2xx answer; any other becomes an error carrying the problem's title and detail.
    pub(crate) fn ok(self, what: &str) -> anyhow::Result<Value> {
        if (200..300).contains(&self.status) {
            return Ok(self.body);
        }
        let field = |k: &str| self.body.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut message = match (field("title"), field("detail")) {
            (Some(title), Some(detail)) => format!("{title}: {detail}"),
            (Some(title), None) => title,
            _ => self.body.as_str().unwrap_or("no details").to_owned(),
        };
        if self.status == 401 && std::env::var("SEAM_TOKEN").unwrap_or_default().is_empty() {
            message.push_str(" (set SEAM_TOKEN to a token from `seam token create`)");
        }
        bail!("{what}: the registry answered {}: {message}", self.status)
    }
}

/// A name that goes into a URL path, checked with the server's rule so no input can change the path.
pub(crate) fn segment<'a>(what: &str, name: &'a str) -> anyhow::Result<&'a str> {
    seamline_registry::check_name(what, name).map_err(anyhow::Error::msg)?;
    Ok(name)
}

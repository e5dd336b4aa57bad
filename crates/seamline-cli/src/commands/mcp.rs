//! `seam mcp`: the MCP server, with the registry read through the command line's HTTP client.

use std::sync::Arc;

use anyhow::Context as _;
use seamline_context::mcp::{Catalog, SeamMcp, serve_http, serve_stdio};
use serde_json::Value;

use crate::Status;
use crate::args::McpArgs;
use crate::commands::registry_client::Client;

/// The registry as the MCP server and the trace diagnosis read it.
pub(crate) struct Registry(pub(crate) Client);

impl Catalog for Registry {
    fn get(&self, path: &str) -> Result<Value, String> {
        self.0
            .get(path)
            .and_then(|answer| answer.ok(&format!("reading {path}")))
            .map_err(|e| format!("{e:#}"))
    }

    fn location(&self) -> String {
        self.0.base().to_owned()
    }
}

pub(crate) fn run(args: &McpArgs) -> anyhow::Result<Status> {
    let Some(root) = seamline_context::facts::service_root(&args.dir) else {
        anyhow::bail!(
            "no seam.toml in `{}` or above it; `seam mcp` serves a service folder (create one with `seam init`)",
            args.dir.display()
        );
    };
    // Read once now, so a broken manifest is an error at start rather than in every answer.
    if let Err(e) = seamline_context::gather(&root) {
        anyhow::bail!("{e}");
    }
    let catalog: Option<Arc<dyn Catalog>> = if args.offline {
        None
    } else {
        match Client::new(&args.registry, &root) {
            Ok(client) => Some(Arc::new(Registry(client))),
            Err(e) if args.registry.registry.is_some() => return Err(e),
            Err(_) => None,
        }
    };
    let server = SeamMcp::new(root, catalog);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        match &args.http {
            None => serve_stdio(server)
                .await
                .map_err(|e| anyhow::anyhow!("MCP over stdio: {e}")),
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen on {address}"))?;
                eprintln!(
                    "seam mcp: streamable HTTP on http://{}/mcp",
                    listener.local_addr()?
                );
                let shutdown = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                serve_http(server, listener, args.allow_hosts.clone(), shutdown)
                    .await
                    .context("serving MCP over HTTP")
            }
        }
    })?;
    Ok(Status::Clean)
}

//! `seam serve`: the registry's API on a socket, until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use seamline_registry::Store;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::Status;
use crate::args::{LogFormat, ServeArgs, TokenCommand};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<Status> {
    // Request logs and server faults; RUST_LOG-style filtering is not needed for a handful of event kinds.
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false);
    // sqlx reports every statement and PostgreSQL notice at info and debug; only its warnings are news.
    let quiet = tracing_subscriber::filter::Targets::new()
        .with_target("sqlx", tracing::Level::WARN)
        .with_default(tracing::Level::INFO);
    match args.log_format {
        // The text form is the bare message, so the first line reads `seam serve: listening on http://ADDR (…)`.
        LogFormat::Text => logs
            .without_time()
            .with_level(false)
            .finish()
            .with(quiet)
            .init(),
        LogFormat::Json => logs.json().flatten_event(true).finish().with(quiet).init(),
    }
    runtime()?.block_on(async {
        let store = Store::open(&args.database)
            .await
            .with_context(|| format!("opening {}", redact(&args.database)))?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        // The bound address, so `--listen 127.0.0.1:0` can be used by scripts and tests.
        tracing::info!(
            "seam serve: listening on http://{} ({})",
            listener.local_addr()?,
            redact(&args.database)
        );
        if store.tokens().await?.iter().all(|t| t.revoked_ms.is_some()) {
            tracing::warn!(
                "seam serve: no tokens yet, so nothing can be published; create one with `seam token create --database URL --name NAME --scope admin`"
            );
        }
        let settings = seamline_registry::Settings {
            private_reads: args.private_reads,
            limits: seamline_registry::Limits::default(),
        };
        seamline_registry::serve(store, settings, listener, shutdown()).await?;
        tracing::info!("seam serve: stopped");
        Ok(Status::Clean)
    })
}

/// `seam token create | list | revoke`, straight on the registry's database.
pub(crate) fn token(command: &TokenCommand) -> anyhow::Result<Status> {
    runtime()?.block_on(async {
        let database = match command {
            TokenCommand::Create(a) => &a.database.database,
            TokenCommand::List(a) => &a.database,
            TokenCommand::Revoke(a) => &a.database.database,
        };
        let store = Store::open(database)
            .await
            .with_context(|| format!("opening {}", redact(database)))?;
        let status = match command {
            TokenCommand::Create(args) => {
                let scopes = args
                    .scopes
                    .iter()
                    .map(|s| s.parse())
                    .collect::<Result<Vec<seamline_registry::Scope>, String>>()
                    .map_err(anyhow::Error::msg)?;
                let token = store.create_token(&args.name, &scopes).await?;
                // The secret alone on stdout, so scripts can capture it; the rest on stderr.
                println!("{}", token.secret);
                anstream::eprintln!(
                    "created token {} ({}); the secret above is shown only now",
                    token.id,
                    args.scopes.join(" ")
                );
                Status::Clean
            }
            TokenCommand::List(_) => {
                for t in store.tokens().await? {
                    let state = match t.revoked_ms {
                        Some(ms) => format!(
                            "revoked {}",
                            seamline_model::civil::rfc3339(ms as u64 * 1_000_000)
                        ),
                        None => "active".into(),
                    };
                    println!(
                        "{}  {:<24}  {:<40}  created {}  {state}",
                        t.id,
                        t.name,
                        t.scopes.join(" "),
                        seamline_model::civil::rfc3339(t.created_ms as u64 * 1_000_000)
                    );
                }
                Status::Clean
            }
            TokenCommand::Revoke(args) => {
                if !store.revoke_token(&args.id).await? {
                    anyhow::bail!(
                        "no active token with id `{}` (see `seam token list`)",
                        args.id
                    );
                }
                println!("revoked token {}", args.id);
                Status::Clean
            }
        };
        store.close().await;
        Ok(status)
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

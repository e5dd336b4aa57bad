//! `seam serve`: the registry's API on a socket, until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use seamline_registry::Store;

use crate::Status;
use crate::args::ServeArgs;

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<Status> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Store::open(&args.database)
            .await
            .with_context(|| format!("opening {}", redact(&args.database)))?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        // The bound address, so `--listen 127.0.0.1:0` can be used by scripts and tests.
        anstream::eprintln!(
            "seam serve: listening on http://{} ({})",
            listener.local_addr()?,
            redact(&args.database)
        );
        seamline_registry::serve(store, listener, shutdown()).await?;
        anstream::eprintln!("seam serve: stopped");
        Ok(Status::Clean)
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

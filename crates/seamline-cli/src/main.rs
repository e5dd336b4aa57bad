//! `seam`: the only crate that prints and chooses exit codes.
//!
//! Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 usage or input error.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

// Reading a large description allocates millions of small nodes; mimalloc does that markedly faster than the
// system allocator (bench/README.md has the measurement).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The outcome of a command, mapped to the exit-code contract.
pub(crate) enum Status {
    Clean,
    Findings,
    InputError,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = &cli.global;
    let result = match &cli.command {
        Command::Lint(args) => commands::lint::run(&args.output.global(global), args),
        Command::Check(args) => commands::check::run(&args.output.global(global), args),
        Command::Diff(args) => commands::diff::run(&args.output.global(global), args),
        Command::Init(args) => commands::init::run(args),
        Command::Rules(args) => commands::rules::run(&global.with(args.format, None), args),
        Command::Trace(command) => commands::trace::run(global, command),
        Command::Migrate(command) => commands::migrate::run(command),
        Command::Context(args) => commands::context::run(&global.with(args.format, None), args),
        Command::Mcp(args) => commands::mcp::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Publish(args) => {
            commands::registry::publish(&global.with(args.format, None), args)
        }
        Command::Pull(args) => commands::registry::pull(args),
        Command::RecordDeployment(args) => commands::registry::record_deployment(args),
        Command::CanIDeploy(args) => {
            commands::registry::can_i_deploy(&global.with(args.format, None), args)
        }
        Command::Token(command) => commands::serve::token(command),
        Command::Completions(args) => commands::completions::run(args),
    };
    match result {
        Ok(Status::Clean) => ExitCode::from(0),
        Ok(Status::Findings) => ExitCode::from(1),
        Ok(Status::InputError) => ExitCode::from(2),
        Err(err) => {
            anstream::eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

use clap::CommandFactory;

use crate::Status;
use crate::args::{Cli, CompletionsArgs};

pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<Status> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "seam", &mut std::io::stdout());
    Ok(Status::Clean)
}

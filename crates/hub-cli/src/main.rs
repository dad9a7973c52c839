//! The `hub` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    hub_cli::run(hub_cli::Cli::parse())
}

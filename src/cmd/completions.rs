//! `reminders completions SHELL` (hidden): the shell's completion script, made from the same
//! clap definitions as `--help`. The Debian package ships its output; people rarely run it.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

#[derive(clap::Args, Debug)]
#[command(
    about = "Print the completion script for a shell (bash, zsh, fish, elvish, powershell)",
    after_help = "Examples:\n  \
reminders completions bash > /usr/share/bash-completion/completions/reminders\n  \
reminders completions zsh > /usr/share/zsh/vendor-completions/_reminders\n  \
reminders completions fish > /usr/share/fish/vendor_completions.d/reminders.fish"
)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> Result<()> {
    let mut cli = visible(crate::cli::Cli::command());
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "reminders", &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

/// The command tree without its hidden subcommands: clap_complete offers every subcommand,
/// hidden or not, and `reminders <TAB>` should offer what `--help` lists. clap cannot remove a
/// subcommand, so the root is made again from the same arguments and the visible subcommands;
/// nothing of the interface is written out twice here.
fn visible(full: clap::Command) -> clap::Command {
    let shown: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let mut root = clap::Command::new("reminders")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(shown)
        .subcommand_required(full.is_subcommand_required_set());
    if let Some(about) = full.get_about() {
        root = root.about(about.clone());
    }
    root
}

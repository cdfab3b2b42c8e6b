//! `completions` and `man`: shell completions and man pages generated from the command-line
//! definition itself, so every subcommand and option appears exactly as the binary parses it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use clap_complete::Shell;

use crate::Outcome;

/// Arguments of `completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Arguments of `man`.
#[derive(Args)]
pub struct ManArgs {
    /// Write `snapaudit.1` and one `snapaudit-COMMAND.1` per subcommand into this folder
    /// (created if missing) instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// `completions`: the completion script of `cli` for one shell, on standard output.
pub fn completions(
    args: CompletionsArgs,
    mut cli: clap::Command,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let name = cli.get_name().to_string();
    clap_complete::generate(args.shell, &mut cli, name, out);
    Ok(Outcome::status(0))
}

/// `man`: the main page of `cli` on standard output, or with `--out` every page written there.
pub fn man(args: ManArgs, cli: clap::Command, out: &mut dyn Write) -> Result<Outcome> {
    match args.out {
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut cli = cli.disable_help_subcommand(true);
            cli.build();
            write_pages(cli, &dir)?;
        }
        None => page(cli).render(out)?,
    }
    Ok(Outcome::status(0))
}

/// The page of one command. Its footer names the crate version only: the full `--version`
/// (commit and rules digest), too long for a footer, is the page's VERSION section.
fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd).source(concat!("snapaudit ", env!("CARGO_PKG_VERSION")))
}

/// Writes the page of `cmd` and of each of its visible subcommands, recursively, into `dir`.
fn write_pages(cmd: clap::Command, dir: &Path) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir)?;
    }
    let page = page(cmd);
    let path = dir.join(page.get_filename());
    page.generate_to(dir)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

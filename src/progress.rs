//! A progress bar on standard error for the long phases of a run (reading files, building the
//! views, running the rules). It is drawn only when standard error is a terminal, and only once a
//! phase has run for [`DELAY`], so piped runs, redirected output and short runs never see a byte
//! of it, and standard output (the report) never does.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a phase runs before its bar appears. `SNAPAUDIT_PROGRESS_DELAY_MS` overrides it
/// (the tests draw at once).
const DELAY: Duration = Duration::from_secs(1);

/// The progress of one phase: a count of steps done out of a known total.
pub struct Progress {
    bar: Option<ProgressBar>,
    delay: Duration,
}

impl Progress {
    /// A phase named `label` of `total` steps; nothing is drawn unless standard error is a
    /// terminal.
    pub fn new(label: &'static str, total: usize) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                delay: DELAY,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(label);
        let delay = std::env::var("SNAPAUDIT_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(DELAY, Duration::from_millis);
        Progress {
            bar: Some(bar),
            delay,
        }
    }

    /// `steps` more steps done; the bar appears once the phase has run for the delay.
    pub fn advance(&self, steps: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(steps as u64);
            if bar.is_hidden() && bar.elapsed() >= self.delay {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.tick();
            }
        }
    }
}

impl Drop for Progress {
    /// The bar is erased when its phase ends.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

//! Wall time per phase of a run (`scan --timings`), written to standard error so that the
//! report itself stays byte-identical.

use std::io::Write;
use std::time::{Duration, Instant};

/// The phases of a run and how long each took, in order.
pub struct Timings {
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            last: Instant::now(),
            phases: Vec::new(),
        }
    }
}

impl Timings {
    /// Ends the current phase, named `phase`, and starts the next.
    pub fn lap(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.phases.push((phase, now - self.last));
        self.last = now;
    }

    /// `timings: read 0.412 s, tables 0.301 s, …, total 1.234 s`.
    pub fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let total: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        let parts: Vec<String> = (self.phases.iter())
            .map(|(name, d)| format!("{name} {:.3} s", d.as_secs_f64()))
            .collect();
        writeln!(
            out,
            "timings: {}, total {:.3} s",
            parts.join(", "),
            total.as_secs_f64()
        )
    }
}

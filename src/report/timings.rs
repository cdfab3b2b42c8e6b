//! Wall time per phase of a run (`scan --timings`), and the process's peak memory at the end of
//! each phase where the system says it (Linux `VmHWM`), written to standard error so that the
//! report itself stays byte-identical.

use std::io::Write;
use std::time::{Duration, Instant};

/// The phases of a run and how long each took, in order.
pub struct Timings {
    last: Instant,
    phases: Vec<(&'static str, Duration, Option<u64>)>,
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
        self.phases.push((phase, now - self.last, peak_rss_mb()));
        self.last = now;
    }

    /// `timings: read 0.412 s (peak 310 MB), tables 0.301 s (peak 420 MB), …, total 1.234 s`.
    pub fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let total: Duration = self.phases.iter().map(|(_, d, _)| *d).sum();
        let parts: Vec<String> = (self.phases.iter())
            .map(|(name, d, peak)| match peak {
                Some(mb) => format!("{name} {:.3} s (peak {mb} MB)", d.as_secs_f64()),
                None => format!("{name} {:.3} s", d.as_secs_f64()),
            })
            .collect();
        writeln!(
            out,
            "timings: {}, total {:.3} s",
            parts.join(", "),
            total.as_secs_f64()
        )
    }
}

/// The process's peak resident memory so far, in MB (10^6 bytes), from `/proc/self/status`;
/// `None` where that file does not exist.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024 / 1_000_000)
}

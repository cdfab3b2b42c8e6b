//! Wall time per phase of a run (`scan --timings`), and the process's peak memory at the end of
//! each phase where the system says it (Linux `VmHWM`), written to standard error so that the
//! report itself stays byte-identical.

use std::io::Write;
use std::time::{Duration, Instant};

/// The phases of a run and how long each took, in order.
pub struct Timings {
    last: Instant,
    phases: Vec<(&'static str, Duration, Option<Memory>)>,
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
        self.phases.push((phase, now - self.last, memory()));
        self.last = now;
    }

    /// `timings: read 0.412 s (rss 300 MB, peak 310 MB), tables 0.301 s (rss 350 MB, peak 420 MB),
    /// …, total 1.234 s`.
    pub fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let total: Duration = self.phases.iter().map(|(_, d, _)| *d).sum();
        let parts: Vec<String> = (self.phases.iter())
            .map(|(name, d, peak)| match peak {
                Some(m) => format!(
                    "{name} {:.3} s (rss {} MB, peak {} MB)",
                    d.as_secs_f64(),
                    m.now_mb,
                    m.peak_mb
                ),
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

/// The process's resident memory at the end of a phase and its peak so far, in MB (10^6 bytes).
struct Memory {
    now_mb: u64,
    peak_mb: u64,
}

/// The process's memory from `/proc/self/status` (`VmRSS`, `VmHWM`); `None` where that file does
/// not exist.
fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let mb = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024 / 1_000_000)
    };
    Some(Memory {
        now_mb: mb("VmRSS:")?,
        peak_mb: mb("VmHWM:")?,
    })
}

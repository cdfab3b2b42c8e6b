//! Terminal manners of the scan table: its width (`COLUMNS`, else the terminal's, else 100),
//! colour by severity (`--color`, `NO_COLOR`), `--quiet`, and the shortening that makes rows fit:
//! ARNs cut to their resource part and long messages ending in `…`. Only the table is shaped
//! here; `--format json` and the other formats keep every id whole.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use anyhow::Result;

use crate::rules::Severity;
use crate::tables::exposure::short_arn;

/// The width assumed when standard output is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// The narrowest the last column is cut to, however wide the others are.
const MIN_LAST_COLUMN: usize = 24;

/// When to colour the table (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Only when standard output is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// How the table is drawn on this output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Columns available for one line.
    pub width: usize,
    /// Whether severities are coloured.
    pub color: bool,
    /// Only the summary line and errors (`--quiet`).
    pub quiet: bool,
}

impl Default for Terminal {
    /// No colour, [`DEFAULT_WIDTH`] columns, everything shown: what a pipe gets.
    fn default() -> Terminal {
        Terminal {
            width: DEFAULT_WIDTH,
            color: false,
            quiet: false,
        }
    }
}

impl Terminal {
    /// The settings for standard output: the width from `COLUMNS` or the terminal, colour as
    /// `color` says (`auto` asks whether stdout is a terminal and honours `NO_COLOR`).
    pub fn of_stdout(color: ColorWhen, quiet: bool) -> Terminal {
        let stdout = std::io::stdout();
        let color = match color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never
            }
        };
        let columns = std::env::var("COLUMNS").ok();
        let width = columns
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0)
            .or_else(|| terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0)))
            .unwrap_or(DEFAULT_WIDTH);
        Terminal {
            width,
            color,
            quiet,
        }
    }

    /// `text` in `style` when colour is on, else as it is.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

/// The colour of a severity.
pub fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::BrightBlack,
    };
    let style = Style::new().fg_color(Some(color.into()));
    if severity == Severity::Critical {
        style.bold()
    } else {
        style
    }
}

/// A resource id as the table shows it: an ARN's resource part (`service/cluster/name`), any
/// other id whole.
pub fn short_resource(id: &str) -> &str {
    if id.starts_with("arn:") {
        short_arn(id)
    } else {
        id
    }
}

/// `text` cut to `width` characters, its last one `…` when something was cut.
pub fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// One row of an aligned table; `style` colours its first cell.
pub struct Row<const N: usize> {
    /// The cells, as text.
    pub cells: [String; N],
    /// The colour of the first cell, if any.
    pub style: Option<Style>,
}

impl<const N: usize> Row<N> {
    /// A row without colour.
    pub fn plain(cells: [String; N]) -> Row<N> {
        Row { cells, style: None }
    }
}

/// A line of an aligned table.
pub enum Line<const N: usize> {
    /// A group heading, on a line of its own.
    Heading(String),
    /// A row of cells.
    Row(Row<N>),
}

/// Lines in columns padded to their widest cell under `header`; the last column, unpadded, is
/// cut so that a line fits the terminal's width (ids in the other columns stay whole: a cut id
/// names nothing, so a line may overflow rather than leave less than [`MIN_LAST_COLUMN`]).
pub fn write_rows<const N: usize>(
    out: &mut dyn Write,
    term: &Terminal,
    header: [&str; N],
    lines: &[Line<N>],
) -> Result<()> {
    let header = Row::plain(header.map(String::from));
    let rows = lines.iter().filter_map(|l| match l {
        Line::Row(row) => Some(row),
        Line::Heading(_) => None,
    });
    let cells = || std::iter::once(&header).chain(rows.clone());
    let widths: Vec<usize> = (0..N)
        .map(|i| {
            cells()
                .map(|r| r.cells[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let before_last: usize = widths[..N - 1].iter().map(|w| w + 2).sum();
    let last_width = term.width.saturating_sub(before_last).max(MIN_LAST_COLUMN);
    let header = Line::Row(header);
    for line in std::iter::once(&header).chain(lines) {
        let row = match line {
            Line::Row(row) => row,
            Line::Heading(heading) => {
                writeln!(out, "{}", shorten(heading, term.width))?;
                continue;
            }
        };
        let mut text = String::new();
        for (i, cell) in row.cells.iter().enumerate() {
            if i + 1 == N {
                text += &shorten(cell, last_width);
                continue;
            }
            let padded = format!("{cell:w$}", w = widths[i]);
            match (i, row.style) {
                (0, Some(style)) => text += &term.paint(style, &padded),
                _ => text += &padded,
            }
            text += "  ";
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_cut_to_their_resource_part() {
        let arn = "arn:aws:ecs:eu-west-1:111122223333:service/demo/web";
        assert_eq!(short_resource(arn), "service/demo/web");
        assert_eq!(short_resource("sg-0123"), "sg-0123");
    }

    #[test]
    fn long_text_ends_in_an_ellipsis_within_the_width() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abcd", 4), "abcd");
    }

    #[test]
    fn rows_fit_the_width_and_headings_stand_alone() {
        let term = Terminal {
            width: 40,
            ..Terminal::default()
        };
        let rows = vec![
            Line::Heading("account 1, region r".to_string()),
            Line::Row(Row::plain(["HIGH".into(), "x".repeat(60)])),
        ];
        let mut out = Vec::new();
        write_rows(&mut out, &term, ["SEVERITY", "MESSAGE"], &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "account 1, region r");
        assert!(lines[2].ends_with('…'), "{text}");
        assert_eq!(lines[2].chars().count(), 40, "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        let style = severity_style(Severity::High);
        let on = Terminal {
            color: true,
            ..Terminal::default()
        };
        assert!(on.paint(style, "HIGH").contains('\u{1b}'));
        assert_eq!(Terminal::default().paint(style, "HIGH"), "HIGH");
    }
}

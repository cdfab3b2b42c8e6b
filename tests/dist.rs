//! What the release bundle ships besides the binary: shell completions and man pages, generated
//! from the command-line definition, checked against the subcommands `snapaudit help` lists and
//! by their real consumers (`bash -n`, groff) where the machine has them.

mod common;

use std::path::Path;
use std::process::Command;

use common::{scratch, snapaudit};

/// The subcommands `snapaudit help` lists (clap's own `help` aside), so that one added later is
/// checked without touching this file.
fn subcommands() -> Vec<String> {
    let run = snapaudit(&["help"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run
        .stdout
        .split("Commands:\n")
        .nth(1)
        .expect("help lists the commands");
    let names: Vec<String> = listed
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 10, "too few subcommands read: {names:?}");
    names
}

/// Asserts that `text` holds every subcommand, each as `spelled` writes its name.
fn assert_names_every_subcommand(text: &str, what: &str, spelled: impl Fn(&str) -> String) {
    for name in subcommands() {
        assert!(text.contains(&spelled(&name)), "{what} misses {name}");
    }
}

/// Whether a program can be started on this machine.
fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

#[test]
fn bash_completions_parse_and_name_every_subcommand() {
    let run = snapaudit(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let script = scratch("bash-completions").join("snapaudit.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // clap_complete names each subcommand's function with `__subcmd__` for spaces and dashes.
    assert_names_every_subcommand(&run.stdout, "bash completions", |name| {
        format!("snapaudit__subcmd__{}", name.replace('-', "__subcmd__"))
    });
}

#[test]
fn every_shell_gets_completions_naming_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = snapaudit(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert_names_every_subcommand(&run.stdout, shell, str::to_string);
    }
    let unknown = snapaudit(&["completions", "tcsh"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("tcsh"), "{}", unknown.stderr);
}

/// Checks one page's roff source, and its rendering when groff is installed.
fn check_page(path: &Path, title: &str) {
    let source = std::fs::read_to_string(path).unwrap();
    assert!(
        source.contains(&format!(".TH {title} 1 ")),
        "{}: no .TH {title} 1",
        path.display()
    );
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] {
        assert!(
            source.contains(&format!(".SH {section}")),
            "{}: no {section}",
            path.display()
        );
    }
    if installed("groff") {
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-P-c", "-P-b", "-P-o", "-P-u"])
            .arg(path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "groff failed on {}", path.display());
        assert!(text.contains("SYNOPSIS") && text.contains(title), "{text}");
    }
}

#[test]
fn man_writes_one_rendering_page_per_subcommand() {
    let dir = scratch("man-pages").join("man1");
    let run = snapaudit(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut pages = vec!["snapaudit".to_string()];
    pages.extend(subcommands().iter().map(|name| format!("snapaudit-{name}")));
    for title in &pages {
        check_page(&dir.join(format!("{title}.1")), title);
    }
    // Beside those, only the pages of nested subcommands (`snapaudit-rules-test`).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let title = name.strip_suffix(".1").expect("a section 1 page");
        assert!(
            pages
                .iter()
                .any(|p| title == p || title.starts_with(&format!("{p}-"))),
            "a page for no subcommand: {name}"
        );
    }
}

#[test]
fn man_prints_the_main_page_listing_every_subcommand() {
    let run = snapaudit(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(".ie"), "{}", run.stdout);
    assert!(run.stdout.contains(".TH snapaudit 1 "));
    assert!(
        run.stdout.contains(".SH VERSION"),
        "the version names commit and rules"
    );
    assert_names_every_subcommand(&run.stdout, "the main page", |name| {
        // roff escapes every dash.
        format!("snapaudit\\-{}(1)", name.replace('-', "\\-"))
    });
}

#[test]
fn man_names_the_folder_it_cannot_write() {
    let file = scratch("man-blocked").join("a-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("man1");
    let run = snapaudit(&["man", "--out", target.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(target.to_str().unwrap()),
        "{}",
        run.stderr
    );
}

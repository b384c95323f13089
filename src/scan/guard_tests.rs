//! Hostile input: deep nesting (R1), special and huge files (R2), a folder of binary files,
//! and single files given without their folder.

use std::path::{Path, PathBuf};

use super::{Settings, scan, scan_paths};
use crate::Error;
use crate::rules::Rule;
use crate::scanner::source::{self, MAX_FILE_BYTES, too_deep};

const HEAD: &str = "from alembic import op\n\nrevision = \"{rev}\"\ndown_revision = {down}\n\n";

fn revision(rev: &str, down: &str, body: &str) -> String {
    HEAD.replace("{rev}", rev).replace("{down}", down) + body
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mrt-guard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("x = {}1{}\n", open.repeat(depth), close.repeat(depth))
}

#[test]
fn too_deep_flags_hostile_nesting() {
    let hostile = [
        ("parentheses", nested("(", ")", 300)),
        ("lists", nested("[", "]", 16_000)),
        ("calls", nested("f(", ")", 4_000)),
        ("tuples", nested("(", ",)", 4_000)),
        ("unary", format!("x = {}1\n", "-".repeat(20_000))),
        ("not", format!("x = {}y\n", "not ".repeat(5_000))),
        ("sum", format!("x = 1{}\n", " + 1".repeat(20_000))),
        ("attributes", format!("x = a{}\n", ".b".repeat(5_000))),
        (
            "ternary",
            format!("x = {}z\n", "a if b else ".repeat(3_000)),
        ),
        ("power", format!("x = 2{}\n", " ** 2".repeat(3_000))),
        ("lambda", format!("x = {}0\n", "lambda: ".repeat(3_000))),
        ("call chain", format!("x = f{}\n", "()".repeat(3_000))),
        (
            "f-string",
            format!("x = f\"{{{}1{}}}\"\n", "(".repeat(300), ")".repeat(300)),
        ),
        (
            "blocks",
            (0..150)
                .map(|i| " ".repeat(i) + "if x:\n")
                .collect::<String>()
                + &" ".repeat(150)
                + "pass\n",
        ),
    ];
    for (what, text) in &hostile {
        let Some((offset, why)) = too_deep(text) else {
            panic!("{what}: not flagged");
        };
        assert!(usize::from(offset) < text.len(), "{what}");
        assert!(
            !why.contains('\n') && why.contains("not parsed"),
            "{what}: {why}"
        );
    }
}

#[test]
fn too_deep_leaves_real_code_alone() {
    let big_list = format!(
        "rows = [{}]\n",
        (0..50_000)
            .map(|i| format!("{{\"id\": -{i}, \"ok\": not False}}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let fine = [
        big_list,
        nested("(", ")", 190),
        format!(
            "x = {}\n",
            (0..900)
                .map(|i| format!("a{i}"))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        format!("s = \"{}\"  # {}\n", "(".repeat(5_000), "[".repeat(5_000)),
        format!("s = '''\n{}\n'''\n", "((((\n".repeat(2_000)),
        (0..90)
            .map(|i| " ".repeat(i) + "if x:\n")
            .collect::<String>(),
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/MRT001.py"),
        )
        .unwrap(),
    ];
    for text in &fine {
        assert_eq!(too_deep(text), None, "{}", &text[..text.len().min(80)]);
    }
}

/// The repro: deeply nested files scanned next to others (rayon workers) crashed the
/// process. Now each gets one MRT091 finding naming its line, and the others are scanned.
#[test]
fn deep_nesting_is_one_finding_not_a_crash() {
    let dir = tmp("deep");
    std::fs::write(
        dir.join("001_base.py"),
        revision("001", "None", "def upgrade():\n    op.drop_table(\"t\")\n"),
    )
    .unwrap();
    for (i, depth) in [3_950usize, 15_800].iter().enumerate() {
        let body = format!(
            "def upgrade():\n    pass\n\n\nDATA = {}1{}\n",
            "[".repeat(*depth),
            "]".repeat(*depth)
        );
        std::fs::write(
            dir.join(format!("00{}_deep.py", i + 2)),
            revision(&format!("00{}", i + 2), "\"001\"", &body),
        )
        .unwrap();
    }
    let result = scan(std::slice::from_ref(&dir), &Settings::default()).unwrap();
    let deep: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule == Rule::UnreadableFile)
        .collect();
    assert_eq!(deep.len(), 2, "{:?}", result.findings);
    for f in &deep {
        assert_eq!(f.line, 10, "{f:?}");
        assert!(
            f.message.contains("nested more than 200 deep"),
            "{}",
            f.message
        );
    }
    assert!(result.findings.iter().any(|f| f.rule == Rule::DropTable));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The deepest input the guard lets through parses and is modelled on the scanner's threads:
/// the margin behind [`super::STACK_BYTES`].
#[test]
fn deep_nesting_under_the_limits_is_scanned() {
    let dir = tmp("under");
    let chain = (0..990)
        .map(|i| format!("a{i}"))
        .collect::<Vec<_>>()
        .join(" + ");
    let body = format!(
        "def upgrade():\n    op.execute({}\"DROP TABLE t\"{})\n    x = {}1\n    y = {chain}\n    z = {}1{}\n",
        "(".repeat(199),
        ")".repeat(199),
        "-".repeat(990),
        "f(".repeat(150),
        " + 1)".repeat(150),
    );
    std::fs::write(dir.join("001_deep.py"), revision("001", "None", &body)).unwrap();
    let result = scan(std::slice::from_ref(&dir), &Settings::default()).unwrap();
    assert!(
        !result
            .findings
            .iter()
            .any(|f| matches!(f.rule, Rule::UnreadableFile | Rule::SyntaxError)),
        "{:?}",
        result.findings
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn only_regular_files_are_read() {
    let dir = tmp("special");
    std::fs::write(
        dir.join("001_ok.py"),
        revision("001", "None", "def upgrade():\n    pass\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("002_zero.py")).unwrap();
    let fifo = dir.join("003_fifo.py");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A sparse file one byte over the limit: no disk space, the size is what counts.
    let big = std::fs::File::create(dir.join("004_big.py")).unwrap();
    big.set_len(MAX_FILE_BYTES + 1).unwrap();
    let scans = scan_paths(std::slice::from_ref(&dir)).unwrap();
    let why = |name: &str| {
        let s = scans.iter().find(|s| s.path.ends_with(name)).unwrap();
        assert_eq!(s.diagnostics.len(), 1, "{name}");
        assert_eq!(s.diagnostics[0].rule, Rule::UnreadableFile);
        s.diagnostics[0].message.clone()
    };
    assert!(why("002_zero.py").contains("not a regular file (a character device)"));
    assert!(why("003_fifo.py").contains("not a regular file (a FIFO)"));
    assert!(why("004_big.py").contains("larger than 10 MB"));
    // Named on the command line, a FIFO is bad input (exit 2), and is never opened.
    match scan_paths(&[fifo]) {
        Err(Error::Usage(msg)) => assert!(
            msg.ends_with("003_fifo.py: not a regular file (a FIFO): not read"),
            "{msg}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        source::read_file(&dir.join("002_zero.py")).unwrap_err(),
        "not a regular file (a character device): not read"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_folder_of_binary_files_is_bad_input() {
    let dir = tmp("binary");
    std::fs::write(dir.join("a.py"), b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe").unwrap();
    std::fs::write(dir.join("b.py"), b"\x7fELF\x02\x01\x01\x00\xff").unwrap();
    match scan_paths(std::slice::from_ref(&dir)) {
        Err(Error::Usage(msg)) => {
            assert!(msg.contains("no migration files found"), "{msg}");
            assert!(msg.contains("binary data (a NUL byte at offset"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    // One unreadable file among migrations is a finding (exit 1), as before.
    std::fs::write(
        dir.join("001_ok.py"),
        revision("001", "None", "def upgrade():\n    pass\n"),
    )
    .unwrap();
    let scans = scan_paths(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(scans.len(), 3);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_single_file_is_checked_without_graph_rules() {
    let dir = tmp("single");
    std::fs::write(
        dir.join("001_a.py"),
        revision("001", "None", "def upgrade():\n    pass\n"),
    )
    .unwrap();
    let second = dir.join("002_b.py");
    std::fs::write(
        &second,
        revision(
            "002",
            "\"001\"",
            "def upgrade():\n    op.drop_column(\"t\", \"c\")\n",
        ),
    )
    .unwrap();
    let result = scan(&[second], &Settings::default()).unwrap();
    let rules: Vec<Rule> = result.findings.iter().map(|f| f.rule).collect();
    assert!(rules.contains(&Rule::DropColumn), "{rules:?}");
    assert!(!rules.contains(&Rule::MissingParent), "{rules:?}");
    // The folder still gets its graph checked.
    std::fs::remove_file(dir.join("001_a.py")).unwrap();
    let result = scan(std::slice::from_ref(&dir), &Settings::default()).unwrap();
    assert!(
        result
            .findings
            .iter()
            .any(|f| f.rule == Rule::MissingParent)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

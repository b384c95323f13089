//! A bounded fuzz target that runs with every `cargo test`: a seeded mutator over the rule
//! fixtures (`tests/fixtures/**/*.py`) feeds `scan`, `fix` and `explain`, and asserts that
//! nothing panics and that the output is sane (findings point inside the file, a proposed
//! downgrade parses, every error is one line).
//!
//! `MRT_FUZZ_CASES` sets the number of inputs (default 2,000: seconds), `MRT_FUZZ_SEED`
//! the seed; `scripts/fuzz_long.sh` runs hundreds of thousands in release mode.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::Error;
use crate::render::{self, Context, Format};
use crate::scan::{self, Settings, on_scan_threads};
use crate::toolbox::{explain, fix};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % (n as u64)).unwrap_or(0)
        }
    }
}

/// Fragments that mean something to the scanner, the fixer or Python's grammar.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "\\",
    "#",
    "\n",
    "\n    ",
    "\r\n",
    "\t",
    " ",
    "op.",
    "op.drop_column(\"users\", \"phone\")",
    "op.add_column(\"t\", sa.Column(\"c\", sa.Integer()))",
    "op.execute(\"DROP TABLE t\")",
    "op.execute(sa.text(\"UPDATE t SET a = 1\"))",
    "with op.batch_alter_table(\"t\") as b:\n        ",
    "b.drop_column(\"c\")",
    "def downgrade():\n    pass\n",
    "def upgrade():\n    ",
    "revision = \"x1\"\n",
    "down_revision = (\"a\", \"b\")\n",
    "down_revision = None\n",
    "# mrt: ignore[MRT001]",
    "# noqa: MRT201",
    "from alembic import op as o\n",
    "lambda: ",
    "not ",
    "-",
    "**",
    " if x else ",
    "await ",
    "f\"{",
    "rb'",
    "\u{0}",
    "\u{1b}[31m",
    "é",
    "\u{feff}",
    "\u{202e}",
    "migrations.RemoveField(\"m\", \"f\")",
    "operations = [",
    "class Migration(migrations.Migration):\n    ",
    "DROP COLUMN ",
    "ALTER TABLE t ",
    "CREATE INDEX i ON t (c)",
    ";",
    "--",
    "/*",
    "*/",
    "...",
    "pass",
    "raise NotImplementedError",
    "sa.Enum(\"a\", name=\"e\")",
    "server_default=",
    "nullable=False",
    "ondelete=\"CASCADE\"",
];

fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py")
                && let Ok(bytes) = std::fs::read(&path)
            {
                out.push((path.to_string_lossy().into_owned(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// One mutation of `data`.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    let len = data.len();
    let pos = rng.below(len + 1);
    match rng.below(11) {
        0 => {
            let end = (pos + rng.below(64)).min(len);
            data.drain(pos..end);
        }
        1 | 2 => {
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            data.splice(pos..pos, token.iter().copied());
        }
        3 => {
            if pos < len {
                data[pos] = u8::try_from(rng.below(256)).unwrap_or(0);
            }
        }
        4 => {
            let end = (pos + rng.below(200)).min(len);
            let copy: Vec<u8> = data[pos..end].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, copy);
        }
        5 => data.truncate(pos),
        6 => {
            // Swap two lines.
            let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(a, b);
            *data = lines.join(&b'\n');
        }
        7 => {
            // Deep nesting around a point: brackets, or a chain of operators.
            let depth = 1 + rng.below(400);
            let (open, close): (&[u8], &[u8]) = match rng.below(4) {
                0 => (b"(", b")"),
                1 => (b"[", b"]"),
                2 => (b"f(", b")"),
                _ => (b"-", b""),
            };
            let end = (pos + rng.below(16)).min(len);
            let inner: Vec<u8> = data[pos..end].to_vec();
            let mut wrapped = open.repeat(depth);
            wrapped.extend_from_slice(&inner);
            wrapped.extend_from_slice(&close.repeat(depth));
            data.splice(pos..end, wrapped);
        }
        8 => {
            // Re-indent a line.
            let indent = b"    ".repeat(rng.below(4));
            data.splice(pos..pos, indent);
        }
        9 => {
            // Duplicate a whole line somewhere else.
            let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let line = lines[rng.below(lines.len())].to_vec();
            let mut line = line;
            line.push(b'\n');
            data.splice(pos..pos, line);
        }
        _ => {
            // Insert a random ASCII identifier or number.
            let word: Vec<u8> = (0..=rng.below(8))
                .map(|_| b"abcxyz_019"[rng.below(10)])
                .collect();
            data.splice(pos..pos, word);
        }
    }
}

/// Run every entry point on one input; `Err` describes what was not sane.
fn exercise(path: &str, bytes: &[u8]) -> Result<(), String> {
    let scan = scan::scan_file(path.to_string(), 0, bytes);
    let lines = scan.source.lines().count().max(1);
    let findings = scan::findings(std::slice::from_ref(&scan), &Settings::default());
    for f in &findings {
        if f.line == 0 || f.column == 0 || f.line > lines + 1 || f.end_line < f.line {
            return Err(format!("finding out of the file: {f:?} ({lines} lines)"));
        }
        if f.message.is_empty() {
            return Err(format!("empty message: {f:?}"));
        }
    }
    let ctx = Context {
        width: 80,
        files: 1,
        strict: false,
        version: "fuzz".into(),
    };
    for format in [Format::Table, Format::Json, Format::Github, Format::Sarif] {
        let text = render::render(&findings, format, &ctx);
        if matches!(format, Format::Table | Format::Github) && text.contains('\u{1b}') {
            return Err("raw escape sequence in printed output".into());
        }
    }
    let source = String::from_utf8_lossy(bytes);
    let one_line = |e: &Error| {
        let text = e.to_string();
        if let Error::Internal(_) = e {
            return Err(format!("internal error: {text}"));
        }
        if text.trim().contains('\n') {
            return Err(format!("multi-line error: {text:?}"));
        }
        Ok(())
    };
    match fix::fix_source(path, &source) {
        Ok(out) => {
            let parsed = ruff_python_parser::parse_unchecked_source(
                &out.new_source,
                ruff_python_ast::PySourceType::Python,
            );
            let before = ruff_python_parser::parse_unchecked_source(
                &source,
                ruff_python_ast::PySourceType::Python,
            );
            if !parsed.errors().is_empty() && before.errors().is_empty() {
                return Err("fix produced a file that does not parse".into());
            }
        }
        Err(e) => one_line(&e)?,
    }
    match explain::explain_source(path, &source, &[]) {
        Ok(text) if text.trim().is_empty() => return Err("empty explanation".into()),
        Ok(_) => {}
        Err(e) => one_line(&e)?,
    }
    Ok(())
}

/// The generator of case `index`: every case is reproducible on its own from (seed, index).
fn case_rng(seed: u64, index: usize) -> Rng {
    // splitmix64 of the pair, so that neighbouring cases are unrelated.
    let mut z = seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    Rng((z ^ (z >> 31)) | 1)
}

/// Fuzz `cases` inputs from `seed` (in parallel on the scanner's threads); returns the
/// failures with their input.
pub(crate) fn run(cases: usize, seed: u64) -> Vec<(String, Vec<u8>)> {
    use rayon::prelude::*;
    let corpus = corpus();
    assert!(!corpus.is_empty(), "no fixtures under tests/fixtures");
    on_scan_threads(|| {
        (0..cases)
            .into_par_iter()
            .filter_map(|index| {
                let mut rng = case_rng(seed, index);
                let (path, original) = &corpus[rng.below(corpus.len())];
                let mut data = original.clone();
                for _ in 0..=rng.below(4) {
                    mutate(&mut rng, &mut data);
                }
                let problem = match catch_unwind(AssertUnwindSafe(|| exercise(path, &data))) {
                    Ok(Ok(())) => return None,
                    Ok(Err(why)) => why,
                    Err(panic) => {
                        let text = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                            .unwrap_or_default();
                        format!("panic: {text}")
                    }
                };
                Some((format!("case {index}, {path}: {problem}"), data))
            })
            .collect()
    })
}

#[test]
fn fuzz_scan_fix_explain() {
    let cases = std::env::var("MRT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let seed = std::env::var("MRT_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6d72_7466_757a_7a31);
    let failures = run(cases, seed);
    let panics = failures
        .iter()
        .filter(|(why, _)| why.contains(": panic: "))
        .count();
    let mut report = format!(
        "fuzz: {cases} inputs from seed {seed}: {} failures, {panics} panics\n",
        failures.len()
    );
    for (why, data) in failures.iter().take(5) {
        let _ = writeln!(
            report,
            "- {why}\n  input: {:?}",
            String::from_utf8_lossy(data)
        );
    }
    eprint!("{report}");
    assert!(failures.is_empty(), "{report}");
}

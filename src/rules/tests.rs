//! Fixture tests: every `tests/fixtures/rules/MRTnnn*.py` file is scanned; lines marked
//! `# expect: MRTnnn` must produce exactly those findings of the file's rule (so a fixture
//! cannot pass by finding nothing), and the full output is snapshotted.

use std::collections::BTreeSet;

use crate::diagnostic::Finding;
use crate::rules::Rule;
use crate::scan::scan_source;

/// Findings as users read them: `line:col CODE [severity] pattern: message`.
pub(crate) fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} [{}] {}: {}",
                f.line,
                f.column,
                f.rule.code(),
                f.severity.as_str(),
                f.pattern,
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The findings of `rule` in `source`; fails unless there is at least one.
pub(crate) fn lint_errors(source: &str, rule: Rule) -> String {
    let found: Vec<Finding> = scan_source("test.py", source)
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect();
    assert!(
        !found.is_empty(),
        "expected at least one {} finding in:\n{source}",
        rule.code()
    );
    show(&found)
}

/// Fails unless `source` gives no finding of `rule`.
pub(crate) fn lint_ok(source: &str, rule: Rule) {
    let found: Vec<Finding> = scan_source("test.py", source)
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect();
    assert!(
        found.is_empty(),
        "expected no {} finding, got:\n{}",
        rule.code(),
        show(&found)
    );
}

fn expected(source: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in source.lines().enumerate() {
        if let Some(pos) = line.find("# expect:") {
            for code in line[pos + 9..].split(',') {
                out.insert((i + 1, code.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn fixtures() {
    let mismatches = std::cell::RefCell::new(Vec::new());
    insta::glob!("../../tests/fixtures/rules", "*.py", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split(['_', '.']).next().unwrap().to_string();
        let rule = Rule::lookup(&code);
        assert_eq!(rule.len(), 1, "fixture {name} must start with a rule code");
        let findings = scan_source(&name, &source);
        let got: BTreeSet<(usize, String)> = findings
            .iter()
            .map(|f| (f.line, f.rule.code().to_string()))
            .collect();
        if got != expected(&source) {
            mismatches.borrow_mut().push(format!(
                "{name}: findings differ from the `# expect:` markers\n{}",
                show(&findings)
            ));
        }
        if !got.iter().any(|(_, c)| *c == code) && !name.contains("_ok") {
            mismatches
                .borrow_mut()
                .push(format!("{name} never triggers {code}"));
        }
        insta::assert_snapshot!(show(&findings));
    });
    let mismatches = mismatches.into_inner();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

fn rel(dir: &std::path::Path, file: &str) -> String {
    let path = std::path::Path::new(file);
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Whole-directory fixtures for the graph rules: `tests/fixtures/graph/<CODE>_<case>/*.py`.
#[test]
fn graph_fixtures() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let result = crate::scan::scan(
            std::slice::from_ref(&dir),
            &crate::scan::Settings::default(),
        )
        .unwrap();
        let mut got = BTreeSet::new();
        let mut want = BTreeSet::new();
        for file in &result.files {
            let fname = rel(&dir, &file.path);
            for (line, code) in expected(&file.source) {
                want.insert((fname.clone(), line, code));
            }
        }
        let mut shown = Vec::new();
        for f in &result.findings {
            let fname = rel(&dir, &f.file);
            shown.push(format!(
                "{fname}:{}:{} {} [{}] {}",
                f.line,
                f.column,
                f.rule.code(),
                f.severity.as_str(),
                f.message.replace(&format!("{}/", dir.display()), "")
            ));
            got.insert((fname, f.line, f.rule.code().to_string()));
        }
        assert_eq!(
            got,
            want,
            "{name}: findings differ from the markers:\n{}",
            shown.join("\n")
        );
        insta::assert_snapshot!(format!("graph_{name}"), shown.join("\n"));
    }
}

/// A derived table's drop is a warning only while its sources exist; literal rows, a table
/// never copied, and a copy whose source was dropped first keep the error.
#[test]
fn derived_tables_are_warnings_while_their_sources_exist() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graph/MRT002_derived_rows");
    let result = crate::scan::scan(
        std::slice::from_ref(&dir),
        &crate::scan::Settings::default(),
    )
    .unwrap();
    let severity = |file: &str, table: &str| {
        let f = result
            .findings
            .iter()
            .find(|f| {
                f.rule == Rule::DropTable
                    && f.file.ends_with(file)
                    && f.message.contains(&format!("'{table}'"))
            })
            .unwrap_or_else(|| panic!("no MRT002 on {table} in {file}"));
        f.severity.as_str()
    };
    assert_eq!(severity("c_drop.py", "sl_tables"), "warning");
    assert_eq!(severity("c_drop.py", "sl_columns"), "warning");
    assert_eq!(severity("c_drop.py", "sl_mixed"), "error");
    assert_eq!(severity("c_drop.py", "notes"), "error");
    assert_eq!(severity("e_source_dropped.py", "archive"), "error");
    // `drop_all` checks first, and no revision created the tables yet: nothing is dropped.
    assert!(
        !result
            .findings
            .iter()
            .any(|f| f.rule == Rule::DropTable && f.file.ends_with("b_shadow.py"))
    );
}

/// A seeded lookup table's drop is a warning only when the downgrade inserts the very rows
/// the migrations seeded it with; some of them, or none, keep the error.
#[test]
fn seeded_tables_are_warnings_when_seeded_again() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graph/MRT002_seeded_rows");
    let result = crate::scan::scan(
        std::slice::from_ref(&dir),
        &crate::scan::Settings::default(),
    )
    .unwrap();
    let severity = |table: &str| {
        result
            .findings
            .iter()
            .find(|f| f.rule == Rule::DropTable && f.message.contains(&format!("'{table}'")))
            .unwrap_or_else(|| panic!("no MRT002 on {table}"))
            .severity
            .as_str()
    };
    assert_eq!(severity("tagkind"), "warning");
    assert_eq!(severity("role"), "error");
    assert_eq!(severity("location"), "error");
}

/// A column or table an earlier revision copied as is into one that stays (expand, then
/// contract): its drop is a warning. A value computed from it, a copy of some rows or of
/// some columns, and a copy dropped first keep the error.
#[test]
fn drops_of_data_copied_by_an_earlier_revision_are_warnings() {
    let scan = |case: &str| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/graph")
            .join(case);
        crate::scan::scan(
            std::slice::from_ref(&dir),
            &crate::scan::Settings::default(),
        )
        .unwrap()
    };
    let columns = scan("MRT001_copied_earlier");
    let column = |name: &str| {
        columns
            .findings
            .iter()
            .find(|f| f.rule == Rule::DropColumn && f.message.contains(&format!(" slices.{name}:")))
            .unwrap_or_else(|| panic!("no MRT001 on {name}"))
    };
    for copied in ["druid_datasource_id", "table_id", "footer"] {
        assert_eq!(column(copied).severity.as_str(), "warning", "{copied}");
    }
    assert!(
        column("table_id")
            .message
            .contains("b2 copied its values as they were into slices.datasource_id")
    );
    assert!(
        column("footer")
            .message
            .contains("into slice_footer.footer")
    );
    // Into another table with each row's key beside them, from a function defined inside one.
    assert_eq!(column("caption").severity.as_str(), "warning");
    assert!(
        column("caption")
            .message
            .contains("into slice_text.caption")
    );
    // The copy of notes, description, goes in the same revision.
    for kept in ["params", "owner", "legacy", "summary", "notes"] {
        assert_eq!(column(kept).severity.as_str(), "error", "{kept}");
    }
    let tables = scan("MRT002_copied_earlier");
    let table = |name: &str| {
        tables
            .findings
            .iter()
            .find(|f| f.rule == Rule::DropTable && f.message.contains(&format!("'{name}'")))
            .unwrap_or_else(|| panic!("no MRT002 on {name}"))
    };
    assert_eq!(table("blob").severity.as_str(), "warning");
    assert!(
        table("blob")
            .message
            .contains("b2 copied all its rows as they were into 'apprblob'")
    );
    assert_eq!(table("events").severity.as_str(), "error");
    assert_eq!(table("notes").severity.as_str(), "error");
}

/// A derived column's drop is a warning only while its sources exist; a constant, a bound
/// parameter and a value whose source was dropped first keep the error.
#[test]
fn derived_columns_are_warnings_while_their_sources_exist() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graph/MRT001_derived_values");
    let result = crate::scan::scan(
        std::slice::from_ref(&dir),
        &crate::scan::Settings::default(),
    )
    .unwrap();
    let severity = |column: &str| {
        let f = result
            .findings
            .iter()
            .find(|f| f.rule == Rule::DropColumn && f.message.contains(&format!(" {column}:")))
            .unwrap_or_else(|| panic!("no MRT001 on {column}"));
        f.severity.as_str()
    };
    // Loops over SQL builders (`for query in [populate_a, ...]: sa.text(query(500))`) are read.
    assert_eq!(severity("run_state.has_data"), "warning");
    assert_eq!(severity("artifact.run_state_id"), "warning");
    assert_eq!(severity("run_state.blob_size"), "error");
    assert_eq!(severity("run_state.label"), "error");
    assert_eq!(severity("run_state.owner"), "error");
    assert_eq!(severity("run_state.blob"), "error");
}

#[test]
fn ten_thousand_revisions() {
    // A long linear chain must not overflow the stack (graph walks are iterative).
    let dir = std::env::temp_dir().join(format!("mrt-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..10_000 {
        let parent = if i == 0 {
            "None".to_string()
        } else {
            format!("\"r{}\"", i - 1)
        };
        let src = format!(
            "from alembic import op\nimport sqlalchemy as sa\nrevision = \"r{i}\"\ndown_revision = {parent}\n\ndef upgrade():\n    op.add_column(\"t\", sa.Column(\"c{i}\", sa.Integer))\n\ndef downgrade():\n    op.drop_column(\"t\", \"c{i}\")\n"
        );
        std::fs::write(dir.join(format!("r{i:05}.py")), src).unwrap();
    }
    std::fs::write(dir.join("r_cycle_a.py"), "revision = 'ca'\ndown_revision = 'cb'\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n").unwrap();
    std::fs::write(dir.join("r_cycle_b.py"), "revision = 'cb'\ndown_revision = 'ca'\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n").unwrap();
    let result = crate::scan::scan(
        std::slice::from_ref(&dir),
        &crate::scan::Settings::default(),
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(result.files.len(), 10_002);
    let codes: Vec<&str> = result.findings.iter().map(|f| f.rule.code()).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "MRT063").count(),
        1,
        "{codes:?}"
    );
    assert!(!codes.contains(&"MRT060"), "{codes:?}");
}

#[test]
fn every_rule_has_docs_and_a_fixture() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("../graph")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for rule in crate::rules::ALL {
        let docs = rule.docs();
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
        ] {
            assert!(
                docs.contains(section),
                "{} docs lack {section}",
                rule.code()
            );
        }
        assert!(!rule.summary().is_empty());
        if !matches!(rule, Rule::UnreadableFile) {
            assert!(
                names.iter().any(|n| n.starts_with(rule.code())),
                "no fixture for {}",
                rule.code()
            );
        }
    }
}

#[test]
fn lookup_accepts_codes_names_and_patterns() {
    assert_eq!(Rule::lookup("MRT001"), vec![Rule::DropColumn]);
    assert_eq!(Rule::lookup("mrt001"), vec![Rule::DropColumn]);
    assert_eq!(Rule::lookup("drop-column"), vec![Rule::DropColumn]);
    assert_eq!(Rule::lookup("DROP COLUMN"), vec![Rule::DropColumn]);
    assert_eq!(Rule::lookup("noop downgrade"), vec![Rule::NoopDowngrade]);
    assert_eq!(Rule::lookup("No-op downgrade"), vec![Rule::NoopDowngrade]);
    assert_eq!(
        Rule::lookup("index without concurrently"),
        vec![Rule::IndexWithoutConcurrently]
    );
    assert_eq!(
        Rule::lookup("RunSQL without reverse"),
        vec![Rule::RunSqlWithoutReverse]
    );
    assert_eq!(Rule::lookup("TRUNCATE in migration"), vec![Rule::Truncate]);
    assert_eq!(Rule::lookup("ENUM value added"), vec![Rule::EnumValueAdded]);
    assert_eq!(
        Rule::lookup("NOT NULL without default"),
        vec![
            Rule::NotNullWithoutDefault,
            Rule::DjangoNotNullWithoutDefault
        ]
    );
    assert!(Rule::lookup("no such rule").is_empty());
    // pytest-mrt 1.9.1 codes and pattern names keep working.
    assert_eq!(Rule::lookup("MRT201"), vec![Rule::DropColumn]);
    assert_eq!(Rule::lookup("mrt407"), vec![Rule::IndexWithoutConcurrently]);
    assert_eq!(Rule::lookup("CASCADE DELETE"), vec![Rule::OnDeleteCascade]);
    assert_eq!(
        Rule::lookup("Column type change"),
        vec![Rule::ColumnTypeChange, Rule::ColumnTypeNarrowed]
    );
    assert_eq!(Rule::lookup("MRT106"), vec![Rule::BulkInsertNotReversed]);
    assert!(Rule::lookup("MRT601").is_empty() && crate::rules::is_retired_code("MRT601"));
}

#[test]
fn helpers_cannot_pass_by_accident() {
    let bad = "revision = 'a'\ndown_revision = None\nfrom alembic import op\ndef upgrade():\n    op.drop_column('users', 'phone')\ndef downgrade():\n    pass\n";
    insta::assert_snapshot!(lint_errors(bad, Rule::DropColumn), @"5:5 MRT001 [error] DROP COLUMN: upgrade() drops column users.phone: its data is lost and a downgrade can only bring the column back empty");
    lint_ok(bad, Rule::DropTable);
    let result = std::panic::catch_unwind(|| lint_ok(bad, Rule::DropColumn));
    assert!(result.is_err());
}

/// Django data-loss rules in a test-suite app (`<test|tests>/<app>/migrations/`) are warnings;
/// the same operations in a production app stay errors (wagtail/test/testapp).
#[test]
fn test_app_migrations_are_warnings() {
    use crate::diagnostic::Severity;
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/django_test_app");
    let result = crate::scan::scan(&[root], &crate::scan::Settings::default()).unwrap();
    let mut got: Vec<(String, &str, Severity)> = result
        .findings
        .iter()
        .filter(|f| matches!(f.rule, Rule::DjangoDeleteModel | Rule::DjangoRemoveField))
        .map(|f| {
            let app = if f.file.contains("testapp") {
                "testapp"
            } else {
                "shop"
            };
            (app.to_string(), f.rule.code(), f.severity)
        })
        .collect();
    got.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
    assert_eq!(
        got,
        vec![
            ("shop".to_string(), "MRT040", Severity::Error),
            ("shop".to_string(), "MRT041", Severity::Error),
            ("testapp".to_string(), "MRT040", Severity::Warning),
            ("testapp".to_string(), "MRT041", Severity::Warning),
        ]
    );
}

/// Functions imported from the project's own modules are read (superset's
/// `migrations/shared/utils.py` shape): their statements count at the caller's line in the
/// migration, naming what the caller passed; a drop under the helper's own `if has_...`
/// check is a warning, an unconditional one an error.
#[test]
fn imported_helpers_are_read_at_the_callers_line() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graph/MRT023_imported_helpers");
    let result = crate::scan::scan(
        std::slice::from_ref(&dir),
        &crate::scan::Settings::default(),
    )
    .unwrap();
    let find = |rule: Rule| {
        result
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("no {}", rule.code()))
    };
    let column = find(Rule::DropColumn);
    assert!(column.file.ends_with("c_cleanup.py"), "{}", column.file);
    assert_eq!(column.line, 12);
    assert!(column.message.contains("orders.ref"), "{}", column.message);
    assert_eq!(column.severity.as_str(), "warning");
    let table = find(Rule::DropTable);
    assert_eq!(table.line, 13);
    assert!(table.message.contains("'archive'"), "{}", table.message);
    assert_eq!(table.severity.as_str(), "error");
    let missing = find(Rule::DowngradeMissingObject);
    assert!(missing.file.ends_with("d_notes.py"), "{}", missing.file);
    assert_eq!(missing.line, 19);
    // Tables created through the helper are known to be new: no MRT023 on a_orders.py.
    assert!(
        !result
            .findings
            .iter()
            .any(|f| f.rule == Rule::IndexWithoutConcurrently && f.file.ends_with("a_orders.py"))
    );
}

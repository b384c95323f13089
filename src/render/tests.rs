use super::{Context, Format, render};
use crate::scan::scan_source;

const SOURCE: &str = r#"revision = "004"
down_revision = "003"
from alembic import op

def upgrade():
    op.drop_column("users", "phone")
    op.create_index("ix_posts_title", "posts", ["title"])

def downgrade():
    pass
"#;

fn ctx(width: usize) -> Context {
    Context {
        width,
        files: 1,
        strict: false,
        version: "0.0.0".into(),
    }
}

#[test]
fn table_narrow() {
    let f = scan_source("versions/004_drop.py", SOURCE);
    insta::assert_snapshot!(render(&f, Format::Table, &ctx(80)));
}

#[test]
fn table_narrow_lines_fit() {
    let f = scan_source("versions/004_drop.py", SOURCE);
    for line in render(&f, Format::Table, &ctx(80)).lines() {
        assert!(
            line.chars().count() <= 80 || !line.contains(' ') || line.starts_with("versions/"),
            "too wide: {line}"
        );
    }
}

#[test]
fn table_wide() {
    let f = scan_source("versions/004_drop.py", SOURCE);
    insta::assert_snapshot!(render(&f, Format::Table, &ctx(160)));
}

#[test]
fn table_empty() {
    insta::assert_snapshot!(render(&[], Format::Table, &ctx(80)));
}

#[test]
fn json() {
    let f = scan_source("versions/004_drop.py", SOURCE);
    insta::assert_snapshot!(render(&f, Format::Json, &ctx(80)));
}

#[test]
fn github() {
    let f = scan_source("versions/004_drop.py", SOURCE);
    insta::assert_snapshot!(render(&f, Format::Github, &ctx(80)));
}

#[test]
fn sarif_results() {
    let f = scan_source("versions/004_drop.py", SOURCE);
    let doc: serde_json::Value =
        serde_json::from_str(&render(&f, Format::Sarif, &ctx(80))).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    // The rule list is long and documented elsewhere; snapshot the results only.
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc["runs"][0]["results"]).unwrap());
}

#[test]
fn terminal_formats_escape_control_characters() {
    let source = SOURCE.replace(
        r#""users", "phone""#,
        r#""users\x1b]0;pwned\x07", "ph\rone\u009b""#,
    );
    let f = scan_source("versions/004_drop.py", &source);
    assert!(f.iter().any(|f| f.message.contains('\u{1b}')), "{f:?}");
    for format in [Format::Table, Format::Github] {
        let text = render(&f, format, &ctx(80));
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\r', '\u{9b}']),
            "{text}"
        );
        assert!(text.contains(r"users\x1b]0;pwned\x07"), "{text}");
    }
    // JSON escapes them itself, and keeps the exact text.
    let json: serde_json::Value =
        serde_json::from_str(&render(&f, Format::Json, &ctx(80))).unwrap();
    assert!(json.to_string().contains(r"\u001b]0;pwned"));
    assert_eq!(super::escape_controls("a\tb\u{85}"), r"a\tb\x85");
}

//! The JSON users read: `--format json` (a list of findings with the SPEC keys, in the SPEC
//! order) and the saved rollback results (`MRTFixture.write_results`, read back by
//! `mrt report --results`), written byte for byte as Python's `json.dumps(..., indent=2)`
//! wrote them before they moved here.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::diagnostic::Finding;
use crate::snapshot::outcome::{FailureKind, Parents, RevisionResult};

/// The keys of one finding's JSON object, in order: the one shape, also used by Python's
/// `RiskWarning.to_dict` (through `_core.FINDING_KEYS`). A test pins it to [`Item`].
pub const FINDING_KEYS: [&str; 9] = [
    "revision", "file", "pattern", "severity", "message", "line", "rule", "column", "fix",
];

#[derive(Serialize)]
struct Item<'a> {
    revision: &'a str,
    file: &'a str,
    pattern: &'a str,
    severity: &'a str,
    message: &'a str,
    line: usize,
    rule: &'a str,
    column: usize,
    fix: Option<&'a str>,
}

pub(super) fn render(findings: &[Finding]) -> String {
    let items: Vec<Item<'_>> = findings
        .iter()
        .map(|f| Item {
            revision: &f.revision,
            file: &f.file,
            pattern: &f.pattern,
            severity: f.severity.as_str(),
            message: &f.message,
            line: f.line,
            rule: f.rule.code(),
            column: f.column,
            fix: f.fix.as_deref(),
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

/// The keys of one saved rollback result, in order: the one shape, also used by Python's
/// `RevisionResult.to_dict` (through `_core.RESULT_KEYS`). A test pins it to [`Saved`].
pub const RESULT_KEYS: [&str; 12] = [
    "revision",
    "down_revision",
    "passed",
    "status",
    "failure_kind",
    "skipped",
    "skip_reason",
    "failures",
    "warnings",
    "coverage",
    "risk_score",
    "duration_s",
];

/// `down_revision` as saved: null, one id, or a list of ids (a merge).
#[derive(Serialize)]
#[serde(untagged)]
enum SavedParents<'a> {
    One(Option<&'a str>),
    Many(&'a [String]),
}

#[derive(Serialize)]
struct Saved<'a> {
    revision: &'a str,
    down_revision: SavedParents<'a>,
    passed: bool,
    status: &'a str,
    failure_kind: Option<&'a str>,
    skipped: bool,
    skip_reason: &'a str,
    failures: Vec<String>,
    warnings: &'a [String],
    coverage: &'a BTreeMap<String, u64>,
    risk_score: usize,
    duration_s: f64,
}

impl<'a> From<&'a RevisionResult> for Saved<'a> {
    fn from(r: &'a RevisionResult) -> Self {
        Saved {
            revision: &r.revision,
            down_revision: match &r.down_revision {
                Parents::None => SavedParents::One(None),
                Parents::One(id) => SavedParents::One(Some(id)),
                Parents::Many(ids) => SavedParents::Many(ids),
            },
            passed: r.passed,
            status: r.status.as_str(),
            failure_kind: r.failure_kind.map(FailureKind::as_str),
            skipped: r.skipped,
            skip_reason: &r.skip_reason,
            failures: r.failures.iter().map(ToString::to_string).collect(),
            warnings: &r.warnings,
            coverage: &r.coverage,
            risk_score: r.risk_score(),
            duration_s: r.duration_rounded(),
        }
    }
}

/// The results file: a JSON list of [`RESULT_KEYS`] objects, in Python's `json.dumps` layout
/// (indent 2, ASCII only) and a final newline. A duration that is not finite is `null` (Python
/// wrote `NaN`, which is not JSON).
#[must_use]
pub fn results(results: &[RevisionResult]) -> String {
    let saved: Vec<Saved<'_>> = results.iter().map(Saved::from).collect();
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter::default());
    // Writing strings, numbers and maps of strings into a Vec cannot fail.
    let () = saved.serialize(&mut ser).unwrap_or_default();
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

/// serde_json's pretty layout with Python's `json.dumps(indent=2)` text: every character
/// outside printable ASCII as `\uXXXX` (astral ones as a surrogate pair), lowercase hex, and
/// floats as Python's `repr`.
#[derive(Default)]
struct PythonFormatter {
    pretty: PrettyFormatter<'static>,
}

impl Formatter for PythonFormatter {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(w)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            start = at + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(python_float_repr(value).as_bytes())
    }
}

/// A finite float as Python's `repr` writes it: the shortest digits that read back the same,
/// in positional form from 1e-4 up to below 1e16 (`0.0001`, `12.0`), else as `1.5e-05`,
/// `1e+16`.
fn python_float_repr(value: f64) -> String {
    let scientific = format!("{value:e}"); // shortest round-trip digits: "-1.25e-5", "0e0"
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits = mantissa.replace('.', "");
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{exp_sign}{:02}", exponent.abs());
    }
    if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = exponent.unsigned_abs() as usize + 1;
    if digits.len() <= point {
        format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

#[cfg(test)]
mod tests {
    use super::{FINDING_KEYS, Item, RESULT_KEYS, python_float_repr, results};
    use crate::snapshot::outcome::{Failure, Parents, RevisionResult, Status};

    #[test]
    fn finding_keys_are_the_serialized_shape() {
        let item = Item {
            revision: "r",
            file: "f",
            pattern: "p",
            severity: "error",
            message: "m",
            line: 1,
            rule: "MRT001",
            column: 1,
            fix: None,
        };
        let text = serde_json::to_string(&item).unwrap();
        let keys: Vec<&str> = FINDING_KEYS.to_vec();
        let at: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(text.matches("\":").count(), keys.len(), "{text}");
    }

    fn saved(revision: &str, failures: &[&str], duration_s: f64) -> RevisionResult {
        RevisionResult {
            revision: revision.to_string(),
            down_revision: Parents::Many(vec!["a".into(), "b".into()]),
            passed: failures.is_empty(),
            status: if failures.is_empty() {
                Status::Passed
            } else {
                Status::Failed
            },
            failure_kind: None,
            skipped: false,
            skip_reason: String::new(),
            failures: failures
                .iter()
                .map(|f| Failure::Line((*f).to_string()))
                .collect(),
            warnings: Vec::new(),
            coverage: [("users".to_string(), 3)].into(),
            duration_s,
        }
    }

    #[test]
    fn result_keys_are_the_serialized_shape() {
        let text = results(&[saved("r", &[], 0.0)]);
        let at: Vec<usize> = RESULT_KEYS
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        // the coverage's own key is the one more
        assert_eq!(text.matches("\":").count(), RESULT_KEYS.len() + 1, "{text}");
    }

    #[test]
    fn results_are_written_as_python_json_dumps_wrote_them() {
        let text = results(&[saved(
            "r\u{e9}",
            &["Table 'caf\u{e9}' \u{1f600}\t\u{7f}\"x\\"],
            1.5,
        )]);
        let expected = r#"[
  {
    "revision": "r\u00e9",
    "down_revision": [
      "a",
      "b"
    ],
    "passed": false,
    "status": "failed",
    "failure_kind": null,
    "skipped": false,
    "skip_reason": "",
    "failures": [
      "Table 'caf\u00e9' \ud83d\ude00\t\u007f\"x\\"
    ],
    "warnings": [],
    "coverage": {
      "users": 3
    },
    "risk_score": 25,
    "duration_s": 1.5
  }
]
"#;
        assert_eq!(text, expected);
        assert_eq!(results(&[]), "[]\n");
    }

    #[test]
    fn floats_are_written_as_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (12.345, "12.345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000_012_5, "1.25e-05"),
            (123_456.0, "123456.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (-2.5e-7, "-2.5e-07"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ];
        for (value, python) in cases {
            assert_eq!(python_float_repr(value), python, "{value:e}");
        }
    }
}

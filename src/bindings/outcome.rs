//! `Failure` and `RevisionResult`: the verdict on one revision as the dynamic check builds it
//! (`snapshot::outcome`), with what it is built from (`RowProblem`, `Unseeded`). Its failures
//! stay data on this side; Python gets their sentences from `str()` and the JSON users save
//! from `RevisionResult.to_dict` and `results_json`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::graph::{parents_from, parents_object};
use super::public_types::{dataclass_repr, same_fields};
use crate::render::json::{self, RESULT_KEYS};
use crate::snapshot::data::RowProblem;
use crate::snapshot::diff::Subject;
use crate::snapshot::outcome::{
    Failure, FailureKind, Parents, Refusal, RevisionResult, Status, suspects,
};

/// One thing wrong with a revision, as data: `what` it is, its `kind` for the verdict, the
/// tables and object involved; the sentence users read is `str()`.
#[pyclass(name = "Failure", module = "pytest_mrt._core", frozen)]
#[derive(Clone)]
pub struct PyFailure {
    inner: Failure,
}

impl From<Failure> for PyFailure {
    fn from(inner: Failure) -> Self {
        PyFailure { inner }
    }
}

#[pymethods]
impl PyFailure {
    /// An Alembic step (`downgrade`, `upgrade after the rollback`, ...) that raised.
    /// `on_empty`: whether the same step ran on empty tables (True: the rows made it fail)
    /// or failed there too (False); None when not tried.
    #[staticmethod]
    #[pyo3(signature = (step, reason, on_empty=None))]
    fn step_failed(step: String, reason: String, on_empty: Option<bool>) -> Self {
        Failure::StepFailed {
            step,
            reason,
            on_empty,
        }
        .into()
    }

    /// The parent is unreachable: `ancestor`'s upgrade fails even on an empty database.
    #[staticmethod]
    fn blocked(ancestor: String, reason: String) -> Self {
        Failure::Blocked { ancestor, reason }.into()
    }

    /// Not checked: the server stopped answering during `revision`'s check, at `step`.
    #[staticmethod]
    fn not_checked(revision: String, step: String, reason: String) -> Self {
        Failure::NotChecked {
            revision,
            step,
            reason,
        }
        .into()
    }

    /// An upgrade that raised on seeded rows but runs on empty tables. The tables blamed: the
    /// one the refused statement names (`error_table`), else those of `touched_with_rows`,
    /// then of `held`, that `reason` names, else every one of `touched_with_rows`.
    #[staticmethod]
    #[pyo3(signature = (reason, statement=None, error_table=None, touched_with_rows=Vec::new(), held=Vec::new()))]
    fn fails_on_data(
        reason: String,
        statement: Option<String>,
        error_table: Option<String>,
        touched_with_rows: Vec<String>,
        held: Vec<String>,
    ) -> Self {
        let mut touched = touched_with_rows;
        touched.sort();
        touched.dedup();
        let (tables, guessed) = suspects(error_table.as_deref(), &reason, &touched, &held);
        Failure::FailsOnData {
            tables,
            guessed,
            reason,
            statement: statement.unwrap_or_default(),
        }
        .into()
    }

    /// A touched table that held no rows; `refused`: why the seeder could not fill it.
    #[staticmethod]
    #[pyo3(signature = (table, refused=None))]
    fn unverified(table: String, refused: Option<PyRef<'_, PyUnseeded>>) -> Self {
        let refused = refused.map(|u| Refusal {
            constraint: u.constraint.clone(),
            reason: u.reason.clone(),
            snippet: u.snippet.clone(),
        });
        Failure::Unverified { table, refused }.into()
    }

    /// Every UPDATE or DELETE the upgrade ran on `table` matched none of its `rows` seeded
    /// rows (the first such statement: `statement`). `why`: why no row it matches was seeded;
    /// `seeded`: the rows made from its WHERE that were seeded, when it still matched none;
    /// `reads`: other tables the statements read, whose rows the user gives too.
    #[staticmethod]
    #[pyo3(signature = (table, verb, statement, rows, why=None, seeded=Vec::new(), reads=Vec::new()))]
    fn unexercised(
        table: String,
        verb: String,
        statement: String,
        rows: usize,
        why: Option<String>,
        seeded: Vec<String>,
        reads: Vec<String>,
    ) -> Self {
        Failure::Unexercised {
            table,
            verb,
            statement,
            rows,
            why,
            seeded,
            reads,
        }
        .into()
    }

    /// `step_failed`, `blocked`, `not_checked`, `schema`, `rows`, `fails_on_data`,
    /// `unverified`, `unexercised` or `line` (text without structure, as read back from a results file).
    #[getter]
    fn what(&self) -> &'static str {
        self.inner.what()
    }

    /// `rollback_failed`, `data_lost` or `schema_drift`; None for the other lines.
    #[getter]
    fn kind(&self) -> Option<&'static str> {
        self.inner.kind().map(FailureKind::as_str)
    }

    /// The tables involved.
    #[getter]
    fn tables(&self) -> Vec<String> {
        self.inner
            .tables()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// For a schema or row difference, the object it is about: `table`, `column`, `view`,
    /// `enum`, `sequence`, `index`, `unique`, `check` or `foreign_key`.
    #[getter]
    fn subject(&self) -> Option<&'static str> {
        match &self.inner {
            Failure::Schema(d) => Some(d.subject.kind()),
            Failure::Rows(RowProblem::ValuesChanged { .. }) => Some("column"),
            Failure::Rows(_) => Some("table"),
            _ => None,
        }
    }

    /// The object's own name (a column, an index, a view...), when it has one.
    #[getter]
    fn name(&self) -> Option<String> {
        match &self.inner {
            Failure::Schema(d) => d.subject.name().map(str::to_string),
            Failure::Rows(RowProblem::ValuesChanged { column, .. }) => Some(column.clone()),
            Failure::Rows(p) => Some(p.table().to_string()),
            _ => None,
        }
    }

    /// The column involved, for a column's difference.
    #[getter]
    fn column(&self) -> Option<String> {
        match &self.inner {
            Failure::Schema(d) => match &d.subject {
                Subject::Column { column, .. } => Some(column.clone()),
                _ => None,
            },
            Failure::Rows(RowProblem::ValuesChanged { column, .. }) => Some(column.clone()),
            _ => None,
        }
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("<Failure {}: {}>", self.inner.what(), self.inner)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyFailure>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
}

/// One difference in the rows after a rollback (`snapshot::data::RowProblem`): its kind as
/// data, its sentence as `str()`.
#[pyclass(name = "RowProblem", module = "pytest_mrt._core", frozen)]
pub struct PyRowProblem {
    problem: RowProblem,
    /// `table_missing`, `rows_lost`, `rows_lost_or_changed`, `values_changed`,
    /// `keys_renumbered` or `rows_leaked`.
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    table: String,
    /// Whether the rollback lost the user's data (all kinds but `rows_leaked`).
    #[pyo3(get)]
    loses_data: bool,
    /// The sentence users read.
    #[pyo3(get)]
    text: String,
}

impl PyRowProblem {
    pub(super) fn problem(&self) -> &RowProblem {
        &self.problem
    }
}

impl From<&RowProblem> for PyRowProblem {
    fn from(p: &RowProblem) -> Self {
        PyRowProblem {
            problem: p.clone(),
            kind: p.kind(),
            table: p.table().to_string(),
            loses_data: p.loses_data(),
            text: p.to_string(),
        }
    }
}

#[pymethods]
impl PyRowProblem {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!("<RowProblem {}: {}>", self.kind, self.text)
    }
}

/// A table the seeder could not fill with the rows asked for.
#[pyclass(name = "Unseeded", module = "pytest_mrt._core", frozen, get_all)]
#[derive(Clone)]
pub struct PyUnseeded {
    /// The table.
    pub(super) table: String,
    /// The constraint the database named when it refused the rows, when it named one.
    pub(super) constraint: Option<String>,
    /// One line: how many of the rows went in, and why the others did not.
    pub(super) reason: String,
    /// A ready-to-paste `custom_seeds` entry for the table.
    pub(super) snippet: String,
}

#[pymethods]
impl PyUnseeded {
    fn __repr__(&self) -> String {
        format!(
            "<Unseeded {:?} constraint={:?}: {}>",
            self.table, self.constraint, self.reason
        )
    }
}

/// A failure as callers give it: a `Failure`, a `RowProblem`, or a line of text.
#[derive(FromPyObject)]
enum FailureArg<'py> {
    Failure(PyRef<'py, PyFailure>),
    Rows(PyRef<'py, PyRowProblem>),
    Line(String),
}

impl FailureArg<'_> {
    fn into_failure(self) -> Failure {
        match self {
            FailureArg::Failure(f) => f.inner.clone(),
            FailureArg::Rows(p) => Failure::Rows(p.problem().clone()),
            FailureArg::Line(text) => Failure::Line(text),
        }
    }
}

fn status_of(text: &str) -> PyResult<Status> {
    Status::parse(text).ok_or_else(|| {
        let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        PyValueError::new_err(format!(
            "RevisionResult.status must be one of {}, got {text:?}",
            all.join(", ")
        ))
    })
}

fn kind_of(text: &str) -> PyResult<FailureKind> {
    FailureKind::parse(text).ok_or_else(|| {
        PyValueError::new_err(format!(
            "RevisionResult.failure_kind must be rollback_failed, data_lost or schema_drift, \
             got {text:?}"
        ))
    })
}

const RESULT_FIELDS: [&str; 11] = [
    "revision",
    "passed",
    "skipped",
    "skip_reason",
    "failures",
    "down_revision",
    "duration_s",
    "warnings",
    "status",
    "coverage",
    "failure_kind",
];

/// The rollback verdict for one revision.
#[pyclass(name = "RevisionResult", module = "pytest_mrt.models")]
pub struct PyRevisionResult {
    inner: RevisionResult,
    handed: Handed,
}

/// The list and dict objects `failures`, `warnings` and `coverage` handed out, kept: what a
/// caller changes in them (`result.failures.append(line)`) is what the result holds, as with
/// the dataclass of pytest-mrt 1.9.1 (SPEC: `failures: list[str]`). While one is out it is
/// the truth for its field; [`PyRevisionResult::current`] reads it back.
#[derive(Default)]
struct Handed {
    failures: Option<Py<PyList>>,
    warnings: Option<Py<PyList>>,
    coverage: Option<Py<PyDict>>,
}

fn lines(failures: &[Failure]) -> Vec<String> {
    failures.iter().map(ToString::to_string).collect()
}

/// The failures a handed-out list holds now: a line that is still the text of one of `old`
/// keeps that failure's data; a new line is text without structure.
fn failures_in(list: &Bound<'_, PyList>, old: &[Failure]) -> PyResult<Vec<Failure>> {
    let mut unused: Vec<Option<&Failure>> = old.iter().map(Some).collect();
    let mut out = Vec::with_capacity(list.len());
    for item in list.iter() {
        let failure = match item.extract::<FailureArg<'_>>() {
            Ok(FailureArg::Line(text)) => {
                let same = unused
                    .iter_mut()
                    .find(|f| f.is_some_and(|f| f.to_string() == text));
                match same.and_then(Option::take) {
                    Some(kept) => kept.clone(),
                    None => Failure::Line(text),
                }
            }
            Ok(other) => other.into_failure(),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "RevisionResult.failures holds {}: failures are lines of text",
                    item.repr()?
                )));
            }
        };
        out.push(failure);
    }
    Ok(out)
}

impl PyRevisionResult {
    fn new_with(inner: RevisionResult) -> Self {
        PyRevisionResult {
            inner,
            handed: Handed::default(),
        }
    }

    /// The result with what callers changed in the handed-out lists and dict.
    fn current(&self, py: Python<'_>) -> PyResult<Cow<'_, RevisionResult>> {
        let mut now = Cow::Borrowed(&self.inner);
        if let Some(list) = &self.handed.failures {
            let list = list.bind(py);
            let unchanged = list.len() == self.inner.failures.len()
                && list.iter().zip(&self.inner.failures).all(|(item, f)| {
                    item.cast::<PyString>()
                        .is_ok_and(|s| s.to_str().is_ok_and(|s| s == f.to_string()))
                });
            if !unchanged {
                now.to_mut().failures = failures_in(list, &self.inner.failures)?;
            }
        }
        if let Some(list) = &self.handed.warnings {
            let warnings: Vec<String> = list.bind(py).extract().map_err(|_| {
                PyTypeError::new_err("RevisionResult.warnings must hold lines of text")
            })?;
            if warnings != self.inner.warnings {
                now.to_mut().warnings = warnings;
            }
        }
        if let Some(dict) = &self.handed.coverage {
            let coverage: BTreeMap<String, u64> = dict.bind(py).extract().map_err(|_| {
                PyTypeError::new_err("RevisionResult.coverage must map table names to row counts")
            })?;
            if coverage != self.inner.coverage {
                now.to_mut().coverage = coverage;
            }
        }
        Ok(now)
    }

    /// Take in what callers changed, let `change` change the result, and show the outcome in
    /// the objects handed out.
    fn update<T>(
        &mut self,
        py: Python<'_>,
        change: impl FnOnce(&mut RevisionResult) -> T,
    ) -> PyResult<T> {
        let changed = match self.current(py)? {
            Cow::Owned(now) => Some(now),
            Cow::Borrowed(_) => None,
        };
        if let Some(now) = changed {
            self.inner = now;
        }
        let out = change(&mut self.inner);
        if let Some(list) = &self.handed.failures {
            let list = list.bind(py);
            list.set_slice(
                0,
                list.len(),
                PyList::new(py, lines(&self.inner.failures))?.as_any(),
            )?;
        }
        if let Some(list) = &self.handed.warnings {
            let list = list.bind(py);
            list.set_slice(
                0,
                list.len(),
                PyList::new(py, &self.inner.warnings)?.as_any(),
            )?;
        }
        if let Some(dict) = &self.handed.coverage {
            let dict = dict.bind(py);
            dict.clear();
            for (table, rows) in &self.inner.coverage {
                dict.set_item(table, rows)?;
            }
        }
        Ok(out)
    }

    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let r = self.current(py)?;
        (
            &r.revision,
            r.passed,
            r.skipped,
            &r.skip_reason,
            lines(&r.failures),
            parents_object(py, &r.down_revision)?,
            r.duration_s,
            &r.warnings,
            r.status.as_str(),
            &r.coverage,
            r.failure_kind.map(FailureKind::as_str),
        )
            .into_pyobject(py)
    }
}

#[pymethods]
impl PyRevisionResult {
    /// `status` defaults to what `passed`/`skipped` say; `failures` are `Failure`s,
    /// `RowProblem`s or lines of text.
    #[new]
    #[pyo3(
        signature = (revision, passed, skipped=false, skip_reason=String::new(), failures=None, down_revision=None, duration_s=0.0, warnings=None, status=None, coverage=None, failure_kind=None),
        text_signature = "(revision, passed, skipped=False, skip_reason='', failures=None, down_revision=None, duration_s=0.0, warnings=None, status=None, coverage=None, failure_kind=None)"
    )]
    #[allow(clippy::too_many_arguments)] // the dataclass's fields, in its order
    fn new(
        revision: String,
        passed: bool,
        skipped: bool,
        skip_reason: String,
        failures: Option<Vec<FailureArg<'_>>>,
        down_revision: Option<&Bound<'_, PyAny>>,
        duration_s: f64,
        warnings: Option<Vec<String>>,
        status: Option<&str>,
        coverage: Option<BTreeMap<String, u64>>,
        failure_kind: Option<&str>,
    ) -> PyResult<Self> {
        let status = match status {
            Some(text) => status_of(text)?,
            None if skipped => Status::Skipped,
            None if passed => Status::Passed,
            None => Status::Failed,
        };
        let mut inner = RevisionResult {
            revision,
            down_revision: parents_from(down_revision)?,
            passed,
            status,
            failure_kind: None,
            skipped,
            skip_reason,
            failures: Vec::new(),
            warnings: warnings.unwrap_or_default(),
            coverage: coverage.unwrap_or_default(),
            duration_s,
        };
        for failure in failures.unwrap_or_default() {
            inner.add(failure.into_failure());
        }
        if let Some(kind) = failure_kind {
            inner.failure_kind = Some(kind_of(kind)?);
        }
        Ok(PyRevisionResult::new_with(inner))
    }

    #[getter]
    fn revision(&self) -> &str {
        &self.inner.revision
    }
    #[setter]
    fn set_revision(&mut self, value: String) {
        self.inner.revision = value;
    }

    #[getter]
    fn passed(&self) -> bool {
        self.inner.passed
    }
    #[setter]
    fn set_passed(&mut self, value: bool) {
        self.inner.passed = value;
    }

    #[getter]
    fn skipped(&self) -> bool {
        self.inner.skipped
    }
    #[setter]
    fn set_skipped(&mut self, value: bool) {
        self.inner.skipped = value;
    }

    #[getter]
    fn skip_reason(&self) -> &str {
        &self.inner.skip_reason
    }
    #[setter]
    fn set_skip_reason(&mut self, value: String) {
        self.inner.skip_reason = value;
    }

    /// The failure lines users read: the same list each time, and what is appended to it,
    /// removed or replaced counts (a line of text; `add` also takes a `Failure`).
    #[getter]
    fn failures(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        if let Some(list) = &self.handed.failures {
            return Ok(list.clone_ref(py));
        }
        let list = PyList::new(py, lines(&self.inner.failures))?.unbind();
        self.handed.failures = Some(list.clone_ref(py));
        Ok(list)
    }
    #[setter]
    fn set_failures(&mut self, value: Vec<FailureArg<'_>>) {
        self.inner.failures = value.into_iter().map(FailureArg::into_failure).collect();
        self.handed.failures = None;
    }

    /// The failures as data, in the order of `failures`.
    #[getter]
    fn problems(&self, py: Python<'_>) -> PyResult<Vec<PyFailure>> {
        let r = self.current(py)?;
        Ok(r.failures.iter().cloned().map(PyFailure::from).collect())
    }

    /// None, one revision id, or a tuple of them (a merge).
    #[getter]
    fn down_revision<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        parents_object(py, &self.inner.down_revision)
    }
    #[setter]
    fn set_down_revision(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.inner.down_revision = parents_from(value)?;
        Ok(())
    }

    #[getter]
    fn duration_s(&self) -> f64 {
        self.inner.duration_s
    }
    #[setter]
    fn set_duration_s(&mut self, value: f64) {
        self.inner.duration_s = value;
    }

    /// Things that weakened the check without failing it (a table that could not be seeded):
    /// the same list each time, changes to it count.
    #[getter]
    fn warnings(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        if let Some(list) = &self.handed.warnings {
            return Ok(list.clone_ref(py));
        }
        let list = PyList::new(py, &self.inner.warnings)?.unbind();
        self.handed.warnings = Some(list.clone_ref(py));
        Ok(list)
    }
    #[setter]
    fn set_warnings(&mut self, value: Vec<String>) {
        self.inner.warnings = value;
        self.handed.warnings = None;
    }

    /// `passed`, `failed`, `upgrade_fails_on_data`, `unverified`, `blocked` or `skipped`.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    #[setter]
    fn set_status(&mut self, value: &str) -> PyResult<()> {
        self.inner.status = status_of(value)?;
        Ok(())
    }

    /// Table → rows present when the upgrade ran, for every table the revision touches (for
    /// a table the revision creates: the rows seeded into it before the downgrade): the same
    /// dict each time, changes to it count.
    #[getter]
    fn coverage(&mut self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        if let Some(dict) = &self.handed.coverage {
            return Ok(dict.clone_ref(py));
        }
        let dict = self.inner.coverage.clone().into_pyobject(py)?.unbind();
        self.handed.coverage = Some(dict.clone_ref(py));
        Ok(dict)
    }
    #[setter]
    fn set_coverage(&mut self, value: BTreeMap<String, u64>) {
        self.inner.coverage = value;
        self.handed.coverage = None;
    }

    /// For a `failed` revision, the worst kind among its failures (`rollback_failed`,
    /// `data_lost`, `schema_drift`); None reads as `schema_drift`.
    #[getter]
    fn failure_kind(&self) -> Option<&'static str> {
        self.inner.failure_kind.map(FailureKind::as_str)
    }
    #[setter]
    fn set_failure_kind(&mut self, value: Option<&str>) -> PyResult<()> {
        self.inner.failure_kind = value.map(kind_of).transpose()?;
        Ok(())
    }

    /// 0-100: 25 per failure, capped.
    #[getter]
    fn risk_score(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.current(py)?.risk_score())
    }

    /// Record a failure (its kind counts towards `failure_kind`).
    fn add(&mut self, py: Python<'_>, failure: FailureArg<'_>) -> PyResult<()> {
        let failure = failure.into_failure();
        self.update(py, |r| r.add(failure))
    }

    /// Record a failure of `kind`: the worst one found so far is kept.
    fn found(&mut self, kind: &str) -> PyResult<()> {
        self.inner.found(kind_of(kind)?);
        Ok(())
    }

    /// The rollback failed: `failed`, with the upgrade's hazard on filled tables last.
    fn fail_rollback(&mut self, py: Python<'_>) -> PyResult<()> {
        self.update(py, RevisionResult::fail_rollback)
    }

    /// The status of a check that ran to its end; `unverified`: the lines of the touched
    /// tables that held no rows.
    fn conclude(&mut self, py: Python<'_>, unverified: Vec<PyRef<'_, PyFailure>>) -> PyResult<()> {
        let unverified = unverified.iter().map(|f| f.inner.clone()).collect();
        self.update(py, |r| r.conclude(unverified))
    }

    /// Set `passed` from the status (`unverified` passes when `allow_unverified`, its lines
    /// moved to the warnings).
    fn settle(&mut self, py: Python<'_>, allow_unverified: bool) -> PyResult<()> {
        self.update(py, |r| r.settle(allow_unverified))
    }

    /// All failure lines, one per line, under the revision id.
    fn failure_summary(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.current(py)?.summary())
    }

    /// JSON-ready form (what `MRTFixture.write_results` saves; SPEC).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = self.current(py)?;
        let dict = PyDict::new(py);
        let down = match &r.down_revision {
            Parents::Many(ids) => PyList::new(py, ids)?.into_any(),
            other => parents_object(py, other)?,
        };
        let values: [Bound<'py, PyAny>; 12] = [
            r.revision.clone().into_pyobject(py)?.into_any(),
            down,
            r.passed.into_pyobject(py)?.to_owned().into_any(),
            r.status.as_str().into_pyobject(py)?.into_any(),
            r.failure_kind
                .map(FailureKind::as_str)
                .into_pyobject(py)?
                .into_any(),
            r.skipped.into_pyobject(py)?.to_owned().into_any(),
            r.skip_reason.clone().into_pyobject(py)?.into_any(),
            lines(&r.failures).into_pyobject(py)?.into_any(),
            r.warnings.clone().into_pyobject(py)?.into_any(),
            r.coverage.clone().into_pyobject(py)?.into_any(),
            r.risk_score().into_pyobject(py)?.into_any(),
            r.duration_rounded().into_pyobject(py)?.into_any(),
        ];
        for (key, value) in RESULT_KEYS.iter().zip(values) {
            dict.set_item(key, value)?;
        }
        Ok(dict)
    }

    /// A result as `to_dict` saved it (what `mrt report --results` reads). Lenient like a
    /// reader of hand-edited files: an unknown status or kind is derived or left out, a
    /// coverage value that is not a count is dropped. ValueError when the item cannot be a
    /// result, its message the end of a sentence that begins `item N` (` has no 'revision'`,
    /// `: 'failures' must be a list`).
    #[staticmethod]
    fn from_dict(item: &Bound<'_, PyAny>) -> PyResult<Self> {
        let Ok(item) = item.cast::<PyDict>() else {
            return Err(PyValueError::new_err(" has no 'revision'"));
        };
        let get = |key: &str| item.get_item(key).ok().flatten();
        let Some(revision) = get("revision").and_then(|r| r.extract::<String>().ok()) else {
            return Err(PyValueError::new_err(" has no 'revision'"));
        };
        let failures = match get("failures") {
            None => Vec::new(),
            Some(list) => {
                let Ok(list) = list.cast::<PyList>() else {
                    return Err(PyValueError::new_err(": 'failures' must be a list"));
                };
                let lines: PyResult<Vec<String>> =
                    list.iter().map(|f| Ok(f.str()?.to_string())).collect();
                lines?
            }
        };
        let truthy = |key: &str, default: bool| get(key).map_or(Ok(default), |v| v.is_truthy());
        let text = |key: &str| -> PyResult<String> {
            get(key).map_or(Ok(String::new()), |v| Ok(v.str()?.to_string()))
        };
        let mut warnings = Vec::new();
        if let Some(given) = get("warnings").filter(|w| w.is_truthy().unwrap_or(false)) {
            for w in given.try_iter()? {
                warnings.push(w?.str()?.to_string());
            }
        }
        let mut coverage = BTreeMap::new();
        if let Some(given) = get("coverage").and_then(|c| c.cast_into::<PyDict>().ok()) {
            for (table, rows) in given.iter() {
                if let Ok(rows) = rows.extract::<u64>() {
                    coverage.insert(table.str()?.to_string(), rows);
                }
            }
        }
        let known = |key: &str| get(key).and_then(|v| v.extract::<String>().ok());
        let passed = truthy("passed", failures.is_empty())?;
        let skipped = truthy("skipped", false)?;
        let status = known("status").and_then(|s| Status::parse(&s));
        let inner = RevisionResult {
            revision,
            down_revision: Parents::None,
            passed,
            status: status.unwrap_or(match (skipped, passed) {
                (true, _) => Status::Skipped,
                (false, true) => Status::Passed,
                (false, false) => Status::Failed,
            }),
            failure_kind: known("failure_kind").and_then(|k| FailureKind::parse(&k)),
            skipped,
            skip_reason: text("skip_reason")?,
            failures: failures.into_iter().map(Failure::Line).collect(),
            warnings,
            coverage,
            duration_s: 0.0,
        };
        Ok(PyRevisionResult::new_with(inner))
    }

    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        same_fields(slf, other, |s| Ok(s.borrow().fields(s.py())?.unbind()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        dataclass_repr("RevisionResult", &self.fields(py)?, &RESULT_FIELDS)
    }
}

/// The results file `MRTFixture.write_results` saves: `results` as a JSON list of their
/// `to_dict` objects, written as Python's `json.dumps(..., indent=2)` wrote it.
#[pyfunction]
fn results_json(py: Python<'_>, results: Vec<PyRef<'_, PyRevisionResult>>) -> PyResult<String> {
    let results: PyResult<Vec<RevisionResult>> = results
        .iter()
        .map(|r| Ok(r.current(py)?.into_owned()))
        .collect();
    Ok(json::results(&results?))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFailure>()?;
    m.add_class::<PyRowProblem>()?;
    m.add_class::<PyUnseeded>()?;
    m.add_class::<PyRevisionResult>()?;
    m.add_function(wrap_pyfunction!(results_json, m)?)?;
    m.add("RESULT_KEYS", RESULT_KEYS.to_vec())?;
    Ok(())
}

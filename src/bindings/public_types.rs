//! The value types users handle, one class each on both sides of the boundary: `RiskWarning`
//! (a static finding, built by the scanner and by `custom_checks`), and the `MigrationAST` and
//! `Operation` that custom checks receive. They keep the constructors, mutable fields,
//! equality and `repr` of the dataclasses they replace (SPEC: compat names).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::graph::parents_object;
use crate::diagnostic::Finding;
use crate::render;
use crate::scan::FileScan;
use crate::scanner::model::Operation;
use crate::scanner::source::Lines;

/// `Name(field=value, ...)` with each value's Python `repr`.
pub(super) fn dataclass_repr(
    name: &str,
    fields: &Bound<'_, PyTuple>,
    names: &[&str],
) -> PyResult<String> {
    let mut parts = Vec::with_capacity(names.len());
    for (key, value) in names.iter().zip(fields.iter()) {
        parts.push(format!("{key}={}", value.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// Equal when `other` is the same class with equal fields (a dataclass's `__eq__`).
pub(super) fn same_fields<T: pyo3::PyClass>(
    slf: &Bound<'_, T>,
    other: &Bound<'_, PyAny>,
    fields: impl Fn(&Bound<'_, T>) -> PyResult<Py<PyTuple>>,
) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Ok(other) = other.cast::<T>() else {
        return Ok(py.NotImplemented());
    };
    let equal = fields(slf)?.bind(py).eq(fields(other)?)?;
    Ok(pyo3::types::PyBool::new(py, equal)
        .to_owned()
        .into_any()
        .unbind())
}

fn checked_severity(severity: String) -> PyResult<String> {
    match severity.as_str() {
        "error" | "warning" => Ok(severity),
        other => Err(PyValueError::new_err(format!(
            "RiskWarning.severity must be 'error' or 'warning', got '{other}'"
        ))),
    }
}

const FINDING_FIELDS: [&str; 9] = [
    "revision", "file", "pattern", "message", "severity", "line", "rule", "column", "fix",
];

/// One static finding. Built by the scanner, and by `custom_checks` functions.
#[pyclass(name = "RiskWarning", module = "pytest_mrt.models", subclass)]
pub struct PyRiskWarning {
    /// Revision id, or the file's stem when the file declares none.
    #[pyo3(get, set)]
    revision: String,
    /// Path of the migration file.
    #[pyo3(get, set)]
    file: String,
    /// Short pattern name, e.g. `"DROP COLUMN"`; usable in `severity_overrides`.
    #[pyo3(get, set)]
    pattern: String,
    /// What is wrong, naming the table and column.
    #[pyo3(get, set)]
    message: String,
    /// `error` or `warning`.
    #[pyo3(get)]
    severity: String,
    #[pyo3(get, set)]
    line: Option<usize>,
    /// Stable rule code such as `MRT001`; None for custom checks.
    #[pyo3(get, set)]
    rule: Option<String>,
    #[pyo3(get, set)]
    column: Option<usize>,
    /// A suggested fix, when there is one.
    #[pyo3(get, set)]
    fix: Option<String>,
}

impl From<&Finding> for PyRiskWarning {
    fn from(f: &Finding) -> Self {
        PyRiskWarning {
            revision: f.revision.clone(),
            file: f.file.clone(),
            pattern: f.pattern.clone(),
            message: f.message.clone(),
            severity: f.severity.as_str().to_string(),
            line: Some(f.line),
            rule: Some(f.rule.code().to_string()),
            column: Some(f.column),
            fix: f.fix.clone(),
        }
    }
}

#[pymethods]
impl PyRiskWarning {
    #[new]
    #[pyo3(
        signature = (revision, file, pattern, message, severity="error".to_string(), line=None, rule=None, column=None, fix=None),
        text_signature = "(revision, file, pattern, message, severity='error', line=None, rule=None, column=None, fix=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        revision: String,
        file: String,
        pattern: String,
        message: String,
        severity: String,
        line: Option<usize>,
        rule: Option<String>,
        column: Option<usize>,
        fix: Option<String>,
    ) -> PyResult<Self> {
        Ok(PyRiskWarning {
            revision,
            file,
            pattern,
            message,
            severity: checked_severity(severity)?,
            line,
            rule,
            column,
            fix,
        })
    }

    #[setter]
    fn set_severity(&mut self, severity: String) -> PyResult<()> {
        self.severity = checked_severity(severity)?;
        Ok(())
    }

    /// The fields in constructor order (what `copy` and `pickle` rebuild it from).
    fn __getnewargs__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        (
            &self.revision,
            &self.file,
            &self.pattern,
            &self.message,
            &self.severity,
            self.line,
            &self.rule,
            self.column,
            &self.fix,
        )
            .into_pyobject(py)
    }

    /// The JSON object `mrt check --format json` prints for this finding (its keys and their
    /// order are `render::json::FINDING_KEYS`).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(slf.py());
        for key in render::json::FINDING_KEYS {
            dict.set_item(key, slf.as_any().getattr(key)?)?;
        }
        Ok(dict)
    }

    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        same_fields(slf, other, |s| {
            Ok(s.borrow().__getnewargs__(s.py())?.unbind())
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        dataclass_repr("RiskWarning", &self.__getnewargs__(py)?, &FINDING_FIELDS)
    }
}

const OPERATION_FIELDS: [&str; 7] = ["kind", "table", "column", "name", "line", "kwargs", "sql"];

/// One migration operation as the scanner understood it (`op.add_column(...)`, ...).
#[pyclass(name = "Operation", module = "pytest_mrt.models", get_all, set_all)]
pub struct PyOperation {
    /// Normalized operation name: `add_column`, `drop_table`, `execute`, `RunPython` ...
    kind: String,
    table: Option<String>,
    column: Option<String>,
    /// Index, constraint or new name where the operation has one.
    name: Option<String>,
    line: Option<usize>,
    /// Keyword arguments as source text.
    kwargs: Py<PyDict>,
    /// The SQL text of raw-SQL operations.
    sql: Option<String>,
}

impl PyOperation {
    fn of(py: Python<'_>, op: &Operation, lines: &Lines<'_>) -> PyResult<Self> {
        let kwargs = PyDict::new(py);
        for k in &op.kwargs {
            kwargs.set_item(&k.name, &k.text)?;
        }
        Ok(PyOperation {
            kind: op.kind.as_str().to_string(),
            table: op.table.clone(),
            column: op.column.clone(),
            name: op.name.clone().or_else(|| op.new_name.clone()),
            line: Some(lines.line(op.range.start())),
            kwargs: kwargs.unbind(),
            sql: op.sql.clone(),
        })
    }

    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        (
            &self.kind,
            &self.table,
            &self.column,
            &self.name,
            self.line,
            self.kwargs.bind(py),
            &self.sql,
        )
            .into_pyobject(py)
    }
}

#[pymethods]
impl PyOperation {
    #[new]
    #[pyo3(signature = (kind, table=None, column=None, name=None, line=None, kwargs=None, sql=None))]
    #[allow(clippy::too_many_arguments)] // the dataclass's fields, in its order
    fn new(
        py: Python<'_>,
        kind: String,
        table: Option<String>,
        column: Option<String>,
        name: Option<String>,
        line: Option<usize>,
        kwargs: Option<Py<PyDict>>,
        sql: Option<String>,
    ) -> Self {
        PyOperation {
            kind,
            table,
            column,
            name,
            line,
            kwargs: kwargs.unwrap_or_else(|| PyDict::new(py).unbind()),
            sql,
        }
    }

    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        same_fields(slf, other, |s| Ok(s.borrow().fields(s.py())?.unbind()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        dataclass_repr("Operation", &self.fields(py)?, &OPERATION_FIELDS)
    }
}

const MIGRATION_FIELDS: [&str; 11] = [
    "revision",
    "down_revision",
    "filename",
    "source",
    "upgrade_ops",
    "downgrade_ops",
    "has_downgrade",
    "kind",
    "branch_labels",
    "depends_on",
    "title",
];

/// A parsed migration file, as `custom_checks` receive it.
#[pyclass(name = "MigrationAST", module = "pytest_mrt.models", get_all, set_all)]
pub struct PyMigrationAST {
    revision: String,
    /// None, one revision id, or a tuple of them (a merge).
    down_revision: Py<PyAny>,
    filename: String,
    /// The file's text.
    source: String,
    upgrade_ops: Py<PyList>,
    downgrade_ops: Py<PyList>,
    has_downgrade: bool,
    /// `alembic` or `django`.
    kind: String,
    branch_labels: Py<PyList>,
    depends_on: Py<PyList>,
    /// The first line of the module docstring (Alembic's revision message); may be empty.
    title: String,
}

impl PyMigrationAST {
    /// The migration of a scanned file; None for a helper module.
    pub(super) fn of(py: Python<'_>, file: &FileScan) -> PyResult<Option<Self>> {
        let Some(m) = &file.migration else {
            return Ok(None);
        };
        let lines = Lines::new(&file.source);
        let down_revision = parents_object(py, &m.down_revision)?.unbind();
        let ops = |ops: &[Operation]| -> PyResult<Py<PyList>> {
            let list = PyList::empty(py);
            for op in ops {
                list.append(PyOperation::of(py, op, &lines)?)?;
            }
            Ok(list.unbind())
        };
        Ok(Some(PyMigrationAST {
            revision: m.revision.clone(),
            down_revision,
            filename: file.path.clone(),
            source: file.source.clone(),
            upgrade_ops: ops(m.upgrade_ops())?,
            downgrade_ops: ops(m.downgrade_ops())?,
            has_downgrade: m.downgrade.is_some(),
            kind: m.framework.as_str().to_string(),
            branch_labels: PyList::new(py, &m.branch_labels)?.unbind(),
            depends_on: PyList::new(py, &m.depends_on)?.unbind(),
            title: m.title.clone(),
        }))
    }

    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        (
            &self.revision,
            self.down_revision.bind(py),
            &self.filename,
            &self.source,
            self.upgrade_ops.bind(py),
            self.downgrade_ops.bind(py),
            self.has_downgrade,
            &self.kind,
            self.branch_labels.bind(py),
            self.depends_on.bind(py),
            &self.title,
        )
            .into_pyobject(py)
    }
}

#[pymethods]
impl PyMigrationAST {
    #[new]
    #[pyo3(
        signature = (revision, down_revision, filename, source, upgrade_ops=None, downgrade_ops=None, has_downgrade=true, kind="alembic".to_string(), branch_labels=None, depends_on=None, title=String::new()),
        text_signature = "(revision, down_revision, filename, source, upgrade_ops=None, downgrade_ops=None, has_downgrade=True, kind='alembic', branch_labels=None, depends_on=None, title='')"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        revision: String,
        down_revision: Py<PyAny>,
        filename: String,
        source: String,
        upgrade_ops: Option<Py<PyList>>,
        downgrade_ops: Option<Py<PyList>>,
        has_downgrade: bool,
        kind: String,
        branch_labels: Option<Py<PyList>>,
        depends_on: Option<Py<PyList>>,
        title: String,
    ) -> Self {
        let list = |given: Option<Py<PyList>>| given.unwrap_or_else(|| PyList::empty(py).unbind());
        PyMigrationAST {
            revision,
            down_revision,
            filename,
            source,
            upgrade_ops: list(upgrade_ops),
            downgrade_ops: list(downgrade_ops),
            has_downgrade,
            kind,
            branch_labels: list(branch_labels),
            depends_on: list(depends_on),
            title,
        }
    }

    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        same_fields(slf, other, |s| Ok(s.borrow().fields(s.py())?.unbind()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        dataclass_repr("MigrationAST", &self.fields(py)?, &MIGRATION_FIELDS)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRiskWarning>()?;
    m.add_class::<PyOperation>()?;
    m.add_class::<PyMigrationAST>()?;
    Ok(())
}

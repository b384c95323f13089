//! `Engine`, `Schema` and `Fingerprint`: the dynamic checker's native side. Database work runs
//! with the GIL released (`py.detach`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

use super::db_objects::{PyDbObject, PyRecordedRun, objects_of, py_objects};
use super::outcome::{PyFailure, PyRowProblem, PyUnseeded};
use crate::Error;
use crate::dialects::objects::{self, Object};
use crate::dialects::{self, Dialect, Lit};
use crate::seeder::exercised::{Executed, UnmatchedWrite};
use crate::seeder::matching::Params;
use crate::seeder::{self, CustomRows, Plan};
use crate::snapshot::diff::{Moment, diff};
use crate::snapshot::outcome::Failure;
use crate::snapshot::{Fingerprint, Schema};
use crate::url::{Backend, DbUrl};

fn lit(value: &Bound<'_, PyAny>) -> PyResult<Lit> {
    if value.is_none() {
        Ok(Lit::Null)
    } else if let Ok(b) = value.cast::<PyBool>() {
        Ok(Lit::Bool(b.is_true()))
    } else if value.cast::<PyInt>().is_ok() {
        Ok(Lit::Int(value.extract()?))
    } else if value.cast::<PyFloat>().is_ok() {
        Ok(Lit::Num(value.str()?.to_string()))
    } else if let Ok(s) = value.cast::<PyString>() {
        Ok(Lit::Str(s.to_string()))
    } else if let Ok(b) = value.cast::<PyBytes>() {
        Ok(Lit::Bytes(b.as_bytes().to_vec()))
    } else {
        Err(PyValueError::new_err(format!(
            "cannot store a {} value; convert it to str, int, float, bool, bytes or None",
            value.get_type().name()?
        )))
    }
}

fn rows_of(rows: &Bound<'_, PyAny>, what: &str) -> PyResult<CustomRows> {
    let list = rows
        .cast::<PyList>()
        .map_err(|_| PyValueError::new_err(format!("{what} must be a list of dicts")))?;
    let mut out = Vec::with_capacity(list.len());
    for row in list.iter() {
        let d = row
            .cast::<PyDict>()
            .map_err(|_| PyValueError::new_err(format!("{what} must be a list of dicts")))?;
        let mut map = BTreeMap::new();
        for (k, v) in d.iter() {
            map.insert(k.extract::<String>()?, lit(&v)?);
        }
        out.push(map);
    }
    Ok(out)
}

/// A schema snapshot.
#[pyclass(name = "Schema", module = "pytest_mrt._core", frozen)]
pub struct PySchema {
    inner: Arc<Schema>,
}

#[pymethods]
impl PySchema {
    /// Table names, sorted.
    #[getter]
    fn tables(&self) -> Vec<String> {
        self.inner.tables.keys().cloned().collect()
    }

    /// The differences from this (expected) schema to `actual`, as `Failure`s. `moment` is
    /// "rollback" or "reupgrade".
    fn diff(&self, actual: &PySchema, moment: &str) -> PyResult<Vec<PyFailure>> {
        let m = match moment {
            "rollback" => Moment::Rollback,
            "reupgrade" => Moment::Reupgrade,
            other => return Err(PyValueError::new_err(format!("unknown moment {other:?}"))),
        };
        Ok(diff(&self.inner, &actual.inner, m)
            .into_iter()
            .map(|d| PyFailure::from(Failure::Schema(d)))
            .collect())
    }

    /// Tables of this schema that `before` lacks or defines differently.
    fn created_or_changed(&self, before: &PySchema) -> Vec<String> {
        self.inner.created_or_changed(&before.inner)
    }

    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&*self.inner).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySchema>()
            .is_ok_and(|o| *o.get().inner == *self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<Schema {} tables>", self.inner.tables.len())
    }
}

/// Hashes of every row of every table at one moment.
#[pyclass(name = "Fingerprint", module = "pytest_mrt._core", frozen)]
pub struct PyFingerprint {
    inner: Arc<Fingerprint>,
}

#[pymethods]
impl PyFingerprint {
    /// Lost, changed and leaked rows from this state to `after`; rows in `ignore` are ours.
    #[pyo3(signature = (after, ignore=None))]
    fn compare(
        &self,
        py: Python<'_>,
        after: &PyFingerprint,
        ignore: Option<&PyFingerprint>,
    ) -> Vec<PyRowProblem> {
        let (a, b, i) = (
            self.inner.clone(),
            after.inner.clone(),
            ignore.map(|i| i.inner.clone()),
        );
        let problems = py.detach(move || a.compare(&b, i.as_deref()));
        problems.iter().map(PyRowProblem::from).collect()
    }

    /// The rows of this fingerprint that `before` did not have.
    fn added_since(&self, before: &PyFingerprint) -> PyFingerprint {
        PyFingerprint {
            inner: Arc::new(self.inner.added_since(&before.inner)),
        }
    }

    fn row_count(&self, table: &str) -> u64 {
        self.inner.row_count(table)
    }

    #[getter]
    fn total_rows(&self) -> u64 {
        self.inner.tables.values().map(|t| t.rows).sum()
    }

    #[getter]
    fn tables(&self) -> Vec<String> {
        self.inner.tables.keys().cloned().collect()
    }

    fn __repr__(&self) -> String {
        format!("<Fingerprint {} tables>", self.inner.tables.len())
    }
}

/// What one `Engine.seed` round did.
#[pyclass(name = "SeedOutcome", module = "pytest_mrt._core", frozen, get_all)]
pub struct PySeedOutcome {
    /// One line per problem (unseeded tables included).
    warnings: Vec<String>,
    /// Tables left with fewer rows than asked for.
    unseeded: Vec<PyUnseeded>,
    /// Tables of `matching` where no row the statement matches could be seeded → the clause
    /// that says why, for `Failure.unexercised`.
    unmatchable: HashMap<String, String>,
}

#[pymethods]
impl PySeedOutcome {
    fn __repr__(&self) -> String {
        format!(
            "<SeedOutcome {} warnings, {} unseeded>",
            self.warnings.len(),
            self.unseeded.len()
        )
    }
}

impl From<seeder::Outcome> for PySeedOutcome {
    fn from(o: seeder::Outcome) -> Self {
        PySeedOutcome {
            warnings: o.warnings,
            unmatchable: o
                .unmatchable
                .into_iter()
                .map(|(t, why)| {
                    let why = crate::url::redact(&why);
                    (t, format!("a row it matches could not be seeded: {why}"))
                })
                .collect(),
            unseeded: o
                .unseeded
                .into_iter()
                .map(|u| PyUnseeded {
                    table: u.table,
                    constraint: u.constraint,
                    reason: crate::url::redact(&u.reason),
                    snippet: u.snippet,
                })
                .collect(),
        }
    }
}

/// One connection to the test database (its own driver, not SQLAlchemy's).
#[pyclass(name = "Engine", module = "pytest_mrt._core")]
pub struct PyEngine {
    conn: Arc<Mutex<Option<Box<dyn Dialect>>>>,
    /// Outside the mutex: it must work while another thread holds the connection.
    interrupter: Arc<dialects::Interrupter>,
    url: DbUrl,
    ignore: Mutex<Vec<String>>,
    /// `migration_timeout`: the bound of each operation (see [`bounded`]).
    timeout: Option<f64>,
    /// Set once the server stopped answering (the operation that waited, and how long): the
    /// connection stays with the thread still waiting on it, and every later operation fails
    /// at once.
    gone: Arc<OnceLock<(String, f64)>>,
}

/// How long a server may take to answer the cancel of an operation that ran out of time
/// before it counts as not answering at all.
const ANSWER_GRACE: Duration = Duration::from_secs(5);
/// How often the cancel is repeated meanwhile (an operation of many statements, such as a
/// seed round, would otherwise go on with the next one).
const CANCEL_EVERY: Duration = Duration::from_millis(200);

/// Run `work` on its own thread and wait at most `seconds` for it. Past that, the running
/// statement is cancelled (`interrupt`, repeatedly) and the operation fails as timed out; a
/// server that does not answer within [`ANSWER_GRACE`] either fails it as
/// [`Error::NoAnswer`], leaving the thread (and its connection) waiting. `what` names the
/// operation in the line.
fn bounded<T: Send + 'static>(
    url: &DbUrl,
    what: &str,
    seconds: f64,
    interrupt: Option<Arc<dialects::Interrupter>>,
    work: impl FnOnce() -> crate::error::Result<T> + Send + 'static,
) -> crate::error::Result<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("mrt-{what}"))
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| Error::Internal(format!("cannot start the engine's thread: {e}")))?;
    let limit = Duration::from_secs_f64(seconds);
    let panicked = || Error::Internal(format!("the engine's {what} stopped unexpectedly"));
    match rx.recv_timeout(limit) {
        Ok(result) => return result,
        Err(mpsc::RecvTimeoutError::Disconnected) => return Err(panicked()),
        Err(mpsc::RecvTimeoutError::Timeout) => {}
    }
    let late = format!("the engine's {what} timed out after {seconds} s");
    let no_answer = || Error::NoAnswer {
        url: url.redacted(),
        what: format!("the engine's {what}"),
        seconds,
    };
    let Some(interrupt) = interrupt else {
        // Nothing to cancel (connecting): no answer yet is no answer.
        return Err(no_answer());
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        // On its own thread: a cancel request to a server that does not answer waits too.
        let stop = stop.clone();
        let _ = std::thread::Builder::new()
            .name("mrt-cancel".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    (*interrupt)();
                    std::thread::sleep(CANCEL_EVERY);
                }
            });
    }
    let answer = rx.recv_timeout(ANSWER_GRACE);
    stop.store(true, Ordering::Relaxed);
    match answer {
        // Cancelled (or finished just now): out of time either way, whatever it returned.
        Ok(Err(e)) => Err(url.db_error(format!("{late} ({})", message_of(&e)))),
        Ok(Ok(_)) => Err(url.db_error(late)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(panicked()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(no_answer()),
    }
}

fn message_of(e: &Error) -> String {
    match e {
        Error::Database { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

impl PyEngine {
    fn with<T: Send + 'static>(
        &self,
        py: Python<'_>,
        what: &str,
        f: impl FnOnce(&mut dyn Dialect) -> crate::error::Result<T> + Send + 'static,
    ) -> PyResult<T> {
        if let Some((what, seconds)) = self.gone.get() {
            return Err(Error::NoAnswer {
                url: self.url.redacted(),
                what: format!("not used since the database server stopped answering: {what}"),
                seconds: *seconds,
            }
            .into());
        }
        let conn = self.conn.clone();
        let work = move || {
            let mut guard = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match guard.as_mut() {
                Some(c) => {
                    c.check_usable()?;
                    f(c.as_mut())
                }
                None => Err(Error::Usage("the engine is closed".into())),
            }
        };
        let Some(seconds) = self.timeout else {
            return py.detach(work).map_err(PyErr::from);
        };
        let interrupt = Some(self.interrupter.clone());
        let result = py.detach(|| bounded(&self.url, what, seconds, interrupt, work));
        if let Err(Error::NoAnswer { what, seconds, .. }) = &result {
            let _ = self.gone.set((what.clone(), *seconds));
        }
        result.map_err(PyErr::from)
    }
}

#[pymethods]
impl PyEngine {
    /// Connect to `url` (a SQLAlchemy URL). `ignore` names tables never looked at
    /// (Alembic's version table). `timeout` (seconds, `migration_timeout`) bounds each of the
    /// engine's statements on the server, and each operation (connecting too) on this side:
    /// past it the operation is cancelled and fails as timed out; a server that does not
    /// answer even then raises `NoAnswerError`, and the engine is not used again.
    #[new]
    #[pyo3(signature = (url, ignore=Vec::new(), timeout=None))]
    fn new(
        py: Python<'_>,
        url: &str,
        ignore: Vec<String>,
        timeout: Option<f64>,
    ) -> PyResult<PyEngine> {
        crate::url::remember(url);
        let mut ignore = ignore;
        ignore.push(objects::MARKER.to_string());
        let parsed = DbUrl::parse(url)?;
        if parsed.backend == Backend::Sqlite {
            dialects::sqlite::SHARED_WITH_PYTHON.get_or_init(|| sqlite_library_shared(py));
        }
        let timeout = timeout.filter(|t| t.is_finite() && *t > 0.0);
        let p = parsed.clone();
        let open = move || {
            let mut conn = dialects::connect_parsed(&p)?;
            if let Some(t) = timeout {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let ms = ((t * 1000.0).ceil() as u64).max(1);
                conn.set_statement_timeout(ms)?;
            }
            Ok::<_, Error>(conn)
        };
        let conn = match timeout {
            Some(seconds) => py.detach(|| bounded(&parsed, "connect", seconds, None, open))?,
            None => py.detach(open)?,
        };
        Ok(PyEngine {
            interrupter: Arc::new(conn.interrupter()),
            conn: Arc::new(Mutex::new(Some(conn))),
            url: parsed,
            ignore: Mutex::new(ignore),
            timeout,
            gone: Arc::new(OnceLock::new()),
        })
    }

    /// `sqlite`, `postgresql` or `mysql`.
    #[getter]
    fn dialect(&self) -> &'static str {
        match self.url.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
            Backend::Mysql => "mysql",
        }
    }

    /// The URL with its password masked.
    #[getter]
    fn url(&self) -> String {
        self.url.redacted()
    }

    /// Also leave `table` out of snapshots from now on (a custom Alembic version table).
    fn ignore_table(&self, table: String) {
        let mut ignore = self
            .ignore
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !ignore.contains(&table) {
            ignore.push(table);
        }
    }

    /// The current schema.
    fn snapshot(&self, py: Python<'_>) -> PyResult<PySchema> {
        let ignore = self
            .ignore
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let schema = self.with(py, "snapshot", move |c| {
            c.introspect().map(|s| s.without(&ignore))
        })?;
        Ok(PySchema {
            inner: Arc::new(schema),
        })
    }

    /// Hash every row of `tables` (default: every table of `schema`).
    #[pyo3(signature = (schema, tables=None))]
    fn fingerprint(
        &self,
        py: Python<'_>,
        schema: &PySchema,
        tables: Option<Vec<String>>,
    ) -> PyResult<PyFingerprint> {
        let s = schema.inner.clone();
        let fp = self.with(py, "fingerprint", move |c| {
            dialects::fingerprint(c, &s, tables.as_deref())
        })?;
        Ok(PyFingerprint {
            inner: Arc::new(fp),
        })
    }

    /// Seed `rows` rows into each of `tables`; `custom` maps a table to the rows to use
    /// instead. `matching`: writes whose rows some generated rows take the values of (not in
    /// `custom` tables). Reports every table that could not be (fully) seeded.
    #[pyo3(signature = (schema, tables, rows, salt, custom=None, matching=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn seed(
        &self,
        py: Python<'_>,
        schema: &PySchema,
        tables: Vec<String>,
        rows: usize,
        salt: u64,
        custom: Option<&Bound<'_, PyDict>>,
        matching: Vec<PyRef<'_, PyUnmatchedWrite>>,
    ) -> PyResult<PySeedOutcome> {
        let mut custom_rows: HashMap<String, CustomRows> = HashMap::new();
        if let Some(d) = custom {
            for (k, v) in d.iter() {
                let table: String = k.extract()?;
                let rows = rows_of(&v, &format!("custom_seeds[{table:?}]"))?;
                custom_rows.insert(table, rows);
            }
        }
        let matching_rows: HashMap<String, seeder::MatchingRows> = matching
            .iter()
            .map(|w| (w.inner.table.clone(), w.inner.matching.clone()))
            .collect();
        let s = schema.inner.clone();
        self.with(py, "seed", move |c| {
            seeder::seed(
                c,
                &Plan {
                    schema: &s,
                    tables: &tables,
                    rows,
                    salt,
                    custom: &custom_rows,
                    matching: &matching_rows,
                },
            )
        })
        .map(PySeedOutcome::from)
    }

    /// Insert the given rows (a list of dicts) into `table`.
    fn insert_rows(&self, py: Python<'_>, table: String, rows: &Bound<'_, PyAny>) -> PyResult<()> {
        let rows = rows_of(rows, "rows")?;
        self.with(py, "insert", move |c| {
            for row in &rows {
                let cols: Vec<String> = row.keys().map(|k| c.quote(k)).collect();
                let vals: Vec<String> = row.values().map(|v| c.literal(v)).collect();
                c.execute(&format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    c.quote(&table),
                    cols.join(", "),
                    vals.join(", ")
                ))?;
            }
            Ok(())
        })
    }

    /// Every object the user can see, of every kind and in every schema, sorted. The marker
    /// table is left out.
    fn inventory(&self, py: Python<'_>) -> PyResult<Vec<PyDbObject>> {
        Ok(py_objects(self.with(
            py,
            "inventory",
            objects::inventory,
        )?))
    }

    /// The tables among `objects` that hold at least one row (one that cannot be read
    /// counts as holding rows).
    fn tables_holding_rows(
        &self,
        py: Python<'_>,
        objects: Vec<PyDbObject>,
    ) -> PyResult<Vec<PyDbObject>> {
        let tables: Vec<Object> = objects_of(objects)
            .into_iter()
            .filter(Object::is_table)
            .collect();
        let found = self.with(py, "row count", move |c| {
            Ok(objects::tables_with_rows(c, &tables))
        })?;
        Ok(py_objects(found))
    }

    /// Drop exactly `objects` (PostgreSQL tables with CASCADE, for foreign-key cycles); one
    /// line per object that could not be dropped.
    fn drop_objects(&self, py: Python<'_>, objects: Vec<PyDbObject>) -> PyResult<Vec<String>> {
        let list = objects_of(objects);
        let failed = self.with(py, "cleanup", move |c| Ok(objects::drop_objects(c, &list)))?;
        Ok(failed
            .into_iter()
            .map(|(o, why)| format!("{}: {why}", o.describe()))
            .collect())
    }

    /// The runs recorded in the marker table.
    fn recorded_runs(&self, py: Python<'_>) -> PyResult<Vec<PyRecordedRun>> {
        let runs = self.with(py, "marker read", objects::recorded_runs)?;
        Ok(runs
            .into_iter()
            .map(|r| PyRecordedRun {
                run: r.id,
                pid: r.pid,
                host: r.host,
                before: py_objects(r.before),
            })
            .collect())
    }

    /// Record a run in the marker table (created when missing).
    fn record_run(
        &self,
        py: Python<'_>,
        run: String,
        pid: i64,
        host: String,
        before: Vec<PyDbObject>,
    ) -> PyResult<()> {
        let r = objects::Run {
            id: run,
            pid,
            host,
            before: objects_of(before),
        };
        self.with(py, "marker write", move |c| objects::record_run(c, &r))
    }

    /// Remove a run from the marker table; drop the table once it is empty.
    fn forget_run(&self, py: Python<'_>, run: String) -> PyResult<()> {
        self.with(py, "marker write", move |c| objects::forget_run(c, &run))
    }

    /// Drop every table, view, enum type and sequence not named in `keep`.
    fn wipe(&self, py: Python<'_>, keep: Vec<String>) -> PyResult<()> {
        self.with(py, "wipe", move |c| c.wipe(&keep))
    }

    /// Cancel the statement this engine is running in another thread (it raises
    /// `DatabaseError`); does nothing when it is idle.
    fn interrupt(&self, py: Python<'_>) {
        py.detach(|| (*self.interrupter)());
    }

    /// Close the connection (further calls raise).
    fn close(&self, py: Python<'_>) {
        if self.gone.get().is_some() {
            return; // the thread still waiting on the connection holds it; it goes with it
        }
        let conn = self.conn.clone();
        py.detach(move || {
            conn.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
        });
    }
}

/// `text` with every secret masked: passwords and secret query values of every URL in it,
/// and the secrets of the URLs given to `remember_url` wherever they appear.
#[pyfunction]
fn redact_url(text: &str) -> String {
    crate::url::redact(text)
}

/// The pytest-mrt extra whose driver the URL's dialect needs (`postgres`, `mysql`); None for
/// SQLite and for dialects pytest-mrt does not drive.
#[pyfunction]
fn driver_extra(url: &str) -> Option<&'static str> {
    crate::url::Backend::of_scheme(url).and_then(crate::url::Backend::pip_extra)
}

/// Whether Python's `sqlite3` module runs on the same SQLite library as the engine: the
/// address of `sqlite3_libversion` as Python's `_sqlite3` resolves it, against ours. A Python
/// without `sqlite3` cannot open the file, so there is nothing to share.
#[pyfunction]
fn sqlite_library_shared(py: Python<'_>) -> bool {
    let ours = rusqlite::ffi::sqlite3_libversion as *const () as usize;
    let Ok(module) = py.import("_sqlite3") else {
        return true;
    };
    let theirs = (|| -> PyResult<usize> {
        let file: String = module.getattr("__file__")?.extract()?;
        let ctypes = py.import("ctypes")?;
        let function = ctypes
            .call_method1("CDLL", (file,))?
            .getattr("sqlite3_libversion")?;
        ctypes
            .call_method1("cast", (function, ctypes.getattr("c_void_p")?))?
            .getattr("value")?
            .extract()
    })();
    theirs.is_ok_and(|address| address == ours)
}

/// Cancel the statement that server connection `backend_id` (a PostgreSQL backend pid, a
/// MySQL thread id) of `url`'s database runs, from a new connection: for the Python drivers'
/// connections (see `dialects::cancel_backend`). True when the server answered, whatever it
/// said; false when it did not within `timeout` seconds.
#[pyfunction]
#[pyo3(signature = (url, backend_id, timeout=None))]
fn cancel_backend(
    py: Python<'_>,
    url: &str,
    backend_id: u32,
    timeout: Option<f64>,
) -> PyResult<bool> {
    let url = DbUrl::parse(url)?;
    let timeout = timeout
        .filter(|t| t.is_finite() && *t > 0.0)
        .map(Duration::from_secs_f64);
    Ok(py.detach(move || dialects::cancel_backend(&url, backend_id, timeout)))
}

/// Remember the secrets of a configured database URL: `redact_url` masks them everywhere.
#[pyfunction]
fn remember_url(url: &str) {
    crate::url::remember(url);
}

/// A table whose every UPDATE or DELETE in the upgrade matched no row.
#[pyclass(name = "UnmatchedWrite", module = "pytest_mrt._core", frozen)]
pub struct PyUnmatchedWrite {
    inner: UnmatchedWrite,
}

#[pymethods]
impl PyUnmatchedWrite {
    #[getter]
    fn table(&self) -> String {
        self.inner.table.clone()
    }

    /// `UPDATE`, `DELETE`, `UPDATE and DELETE` or `DELETE and UPDATE`.
    #[getter]
    fn verb(&self) -> &'static str {
        self.inner.verb
    }

    /// The first such statement, as the driver received it.
    #[getter]
    fn statement(&self) -> String {
        crate::url::redact(&self.inner.statement)
    }

    /// Rows the statements' WHEREs match, as `name = 'x'` (seed them with `Engine.seed`'s
    /// `matching`).
    #[getter]
    fn matching(&self) -> Vec<String> {
        self.inner.matching_shown()
    }

    /// Why no such row could be made, when none could.
    #[getter]
    fn why(&self) -> Option<String> {
        self.inner.why.clone()
    }

    /// When none could: the names the statements read rows from besides the table (a
    /// subquery's, a WITH query's), tables or not.
    #[getter]
    fn reads(&self) -> Vec<String> {
        self.inner.reads.clone()
    }

    /// The warning of a revision checked again with the `matching` rows seeded.
    fn seeded_note(&self) -> String {
        self.inner.seeded_note()
    }

    fn __repr__(&self) -> String {
        format!("<UnmatchedWrite {} {}>", self.inner.verb, self.inner.table)
    }
}

/// The parameters of one executed statement: a list (positional markers), a dict (named
/// markers), None when not known (`executemany`).
fn params_of(params: Option<&Bound<'_, PyAny>>) -> Params {
    let Some(params) = params else {
        return Params::Unknown;
    };
    if let Ok(d) = params.cast::<PyDict>() {
        let mut named = BTreeMap::new();
        for (k, v) in d.iter() {
            let (Ok(k), Ok(v)) = (k.extract::<String>(), lit(&v)) else {
                return Params::Unknown;
            };
            named.insert(k, v);
        }
        return Params::Named(named);
    }
    if let Ok(list) = params.cast::<PyList>() {
        let values: PyResult<Vec<Lit>> = list.iter().map(|v| lit(&v)).collect();
        return values.map_or(Params::Unknown, Params::Positional);
    }
    Params::Unknown
}

/// One statement the upgrade sent, as `writes_counted` recorded it: the text, its parameters (a
/// list for positional markers, a dict for named ones, None when not known: `executemany`)
/// and the row count the driver reported (negative: unknown).
#[pyclass(name = "SentStatement", module = "pytest_mrt._core", frozen)]
pub struct PySentStatement {
    inner: Executed,
}

#[pymethods]
impl PySentStatement {
    #[new]
    #[pyo3(signature = (statement, params, rows))]
    fn new(statement: String, params: Option<Bound<'_, PyAny>>, rows: i64) -> Self {
        PySentStatement {
            inner: Executed {
                statement,
                params: params_of(params.as_ref()),
                rows,
            },
        }
    }

    #[getter]
    fn statement(&self) -> String {
        crate::url::redact(&self.inner.statement)
    }

    #[getter]
    fn rows(&self) -> i64 {
        self.inner.rows
    }
}

/// The tables whose every UPDATE or DELETE matched no row, among the statements the upgrade
/// `sent` (a row count it does not know counts as a match); statements on `ignore` tables do
/// not count. Each statement gives at most `seed_rows - 1` matching rows.
#[pyfunction]
fn unmatched_writes(
    sent: Vec<PyRef<'_, PySentStatement>>,
    ignore: Vec<String>,
    seed_rows: usize,
) -> Vec<PyUnmatchedWrite> {
    let executed: Vec<Executed> = sent.iter().map(|s| s.inner.clone()).collect();
    crate::seeder::exercised::unmatched_writes(&executed, &ignore, seed_rows)
        .into_iter()
        .map(|inner| PyUnmatchedWrite { inner })
        .collect()
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add_class::<PySchema>()?;
    m.add_class::<PyFingerprint>()?;
    m.add_class::<PySeedOutcome>()?;
    m.add_class::<PyUnmatchedWrite>()?;
    m.add_class::<PySentStatement>()?;
    m.add_function(wrap_pyfunction!(redact_url, m)?)?;
    m.add_function(wrap_pyfunction!(driver_extra, m)?)?;
    m.add_function(wrap_pyfunction!(unmatched_writes, m)?)?;
    m.add_function(wrap_pyfunction!(remember_url, m)?)?;
    m.add_function(wrap_pyfunction!(cancel_backend, m)?)?;
    m.add_function(wrap_pyfunction!(sqlite_library_shared, m)?)?;
    Ok(())
}

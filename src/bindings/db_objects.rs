//! The objects the safety guard compares between two inventories, as Python holds them:
//! `DbObject` (ordered and hashable, so that sets and `sorted` work on them) and the
//! `RecordedRun`s of the marker table.

use pyo3::prelude::*;

use crate::dialects::objects::Object;

/// One database object, as the safety guard keeps it (`objects::Object`): `table` is a
/// trigger's table, else empty. Ordered, compared and hashed by its fields in this order.
#[pyclass(
    name = "DbObject",
    module = "pytest_mrt._core",
    frozen,
    eq,
    ord,
    hash,
    get_all,
    from_py_object
)]
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyDbObject {
    kind: String,
    schema: String,
    name: String,
    table: String,
}

#[pymethods]
impl PyDbObject {
    #[new]
    #[pyo3(signature = (kind, schema, name, table=String::new()))]
    fn new(kind: String, schema: String, name: String, table: String) -> Self {
        PyDbObject {
            kind,
            schema,
            name,
            table,
        }
    }

    /// How the guard's lines name it on `dialect` (see `Object::shown`).
    fn shown(&self, dialect: &str) -> String {
        Object::from(self.clone()).shown(dialect == "mysql")
    }

    fn __repr__(&self) -> String {
        format!(
            "DbObject({:?}, {:?}, {:?}, {:?})",
            self.kind, self.schema, self.name, self.table
        )
    }
}

impl From<Object> for PyDbObject {
    fn from(o: Object) -> Self {
        PyDbObject {
            kind: o.kind,
            schema: o.schema,
            name: o.name,
            table: o.table,
        }
    }
}

impl From<PyDbObject> for Object {
    fn from(o: PyDbObject) -> Self {
        Object {
            kind: o.kind,
            schema: o.schema,
            name: o.name,
            table: o.table,
        }
    }
}

/// One run recorded in the marker table.
#[pyclass(name = "RecordedRun", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyRecordedRun {
    pub(super) run: String,
    pub(super) pid: i64,
    pub(super) host: String,
    /// The objects that were there before the run.
    pub(super) before: Vec<PyDbObject>,
}

pub(super) fn objects_of(list: Vec<PyDbObject>) -> Vec<Object> {
    list.into_iter().map(Object::from).collect()
}

pub(super) fn py_objects(list: Vec<Object>) -> Vec<PyDbObject> {
    list.into_iter().map(PyDbObject::from).collect()
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDbObject>()?;
    m.add_class::<PyRecordedRun>()?;
    Ok(())
}

//! The configuration's Python surface ([`crate::config`] decides): `check_config` validates
//! `MRTConfig`'s values, `read_pyproject` reads `[tool.mrt]`, `project_settings` gives the
//! `mrt` commands the part they use, and `config_keys` lists the keys.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::config::{self, Value};

/// A Python value in the configuration's model.
fn value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    let opaque = |v: &Bound<'_, PyAny>| -> PyResult<(String, String)> {
        Ok((v.get_type().name()?.to_string(), v.repr()?.to_string()))
    };
    Ok(if v.is_none() {
        Value::None
    } else if let Ok(b) = v.cast::<PyBool>() {
        Value::Bool(b.is_true())
    } else if v.cast::<PyInt>().is_ok() {
        match v.extract::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => {
                let (type_name, repr) = opaque(v)?;
                Value::Other { type_name, repr }
            }
        }
    } else if let Ok(f) = v.cast::<PyFloat>() {
        Value::Float(f.value())
    } else if let Ok(s) = v.cast::<PyString>() {
        Value::Str(s.to_string())
    } else if let Ok(d) = v.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(d.len());
        for (k, item) in d.iter() {
            entries.push((value(&k)?, value(&item)?));
        }
        Value::Dict(entries)
    } else if let Ok(l) = v.cast::<PyList>() {
        Value::List {
            items: l.iter().map(|i| value(&i)).collect::<PyResult<_>>()?,
            tuple: false,
        }
    } else if let Ok(t) = v.cast::<PyTuple>() {
        Value::List {
            items: t.iter().map(|i| value(&i)).collect::<PyResult<_>>()?,
            tuple: true,
        }
    } else if v.is_callable() {
        let (type_name, repr) = opaque(v)?;
        Value::Callable { type_name, repr }
    } else {
        let (type_name, repr) = opaque(v)?;
        Value::Other { type_name, repr }
    })
}

/// A checked TOML value back as a Python value.
fn to_python<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::List { items, .. } => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Dict(entries) => {
            let dict = PyDict::new(py);
            for (k, item) in entries {
                dict.set_item(to_python(py, k)?, to_python(py, item)?)?;
            }
            dict.into_any()
        }
        Value::Callable { repr, .. } | Value::Other { repr, .. } => {
            PyString::new(py, repr).into_any()
        }
    })
}

/// Check `values` (key → value, in the dict's order) as the configuration from `source`;
/// `UsageError` names the source and the first offending key.
#[pyfunction]
fn check_config(source: &str, values: &Bound<'_, PyDict>) -> PyResult<()> {
    let values = values
        .iter()
        .map(|(k, v)| Ok((k.extract::<String>()?, value(&v)?)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(config::check(source, &values)?)
}

/// A `severity_overrides` dict's items, in its order (None: no overrides).
pub(super) fn overrides_of(map: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, String)>> {
    let Some(map) = map else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
        .collect()
}

/// Every configuration key, in `MRTConfig`'s field order.
#[pyfunction]
fn config_keys() -> Vec<&'static str> {
    config::KEYS.iter().map(|k| k.name).collect()
}

/// `[tool.mrt]` of `dir/pyproject.toml` as a dict of checked values; None without one.
#[pyfunction]
fn read_pyproject(py: Python<'_>, dir: PathBuf) -> PyResult<Option<Bound<'_, PyDict>>> {
    let Some(values) = py.detach(|| config::read_pyproject(&dir))? else {
        return Ok(None);
    };
    let dict = PyDict::new(py);
    for (k, v) in &values {
        dict.set_item(k, to_python(py, v)?)?;
    }
    Ok(Some(dict))
}

/// What `mrt check` and `mrt explain` use of a `pyproject.toml`'s `[tool.mrt]`.
#[pyclass(name = "ProjectSettings", module = "pytest_mrt._core", frozen)]
pub struct PyProjectSettings {
    overrides: Vec<(String, String)>,
    /// The `skip` keys.
    #[pyo3(get)]
    skip: Vec<String>,
}

#[pymethods]
impl PyProjectSettings {
    /// `severity_overrides`, in the file's order.
    #[getter]
    fn overrides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (key, severity) in &self.overrides {
            dict.set_item(key, severity)?;
        }
        Ok(dict)
    }
}

/// What `mrt check` and `mrt explain` use of `dir/pyproject.toml` (empty without
/// `[tool.mrt]`).
#[pyfunction]
fn project_settings(py: Python<'_>, dir: PathBuf) -> PyResult<PyProjectSettings> {
    let settings = py.detach(|| config::project_settings(&dir))?;
    Ok(PyProjectSettings {
        overrides: settings.overrides,
        skip: settings.skip,
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyProjectSettings>()?;
    m.add_function(wrap_pyfunction!(check_config, m)?)?;
    m.add_function(wrap_pyfunction!(config_keys, m)?)?;
    m.add_function(wrap_pyfunction!(read_pyproject, m)?)?;
    m.add_function(wrap_pyfunction!(project_settings, m)?)?;
    Ok(())
}

//! The revision graph's Python surface: `parents_of` (Alembic's `down_revision` as the ids it
//! names) and `graph_layout` (the rows, lanes and edges `mrt report` draws, see
//! [`crate::render::revision_graph`]), with their `GraphNode` and `GraphLayout` classes.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::render::revision_graph::{self, Dot, Layout};
use crate::scanner::graph::GraphNode;
use crate::scanner::model::Parents;

/// `down_revision` as Python holds it: None, one id, or a sequence of ids (a merge).
pub(super) fn parents_from(value: Option<&Bound<'_, PyAny>>) -> PyResult<Parents> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Parents::None);
    };
    if let Ok(id) = value.cast::<PyString>() {
        return Ok(Parents::One(id.to_string()));
    }
    Ok(Parents::Many(value.extract()?))
}

/// `down_revision` as Alembic writes it: None, a string, or a tuple of strings.
pub(super) fn parents_object<'py>(
    py: Python<'py>,
    parents: &Parents,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match parents {
        Parents::None => py.None().into_bound(py),
        Parents::One(id) => PyString::new(py, id).into_any(),
        Parents::Many(ids) => PyTuple::new(py, ids)?.into_any(),
    })
}

/// The revision ids a `down_revision` names, as a tuple (empty for a base).
#[pyfunction]
fn parents_of<'py>(
    py: Python<'py>,
    down_revision: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, parents_from(down_revision)?.ids())
}

/// One revision as the report's graph sees it.
#[pyclass(name = "GraphNode", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyGraphNode {
    revision: String,
    /// The ids its `down_revision` names.
    parents: Vec<String>,
    /// Its file: ties in the order go by file name.
    file: String,
}

#[pymethods]
impl PyGraphNode {
    #[new]
    fn new(revision: String, parents: Vec<String>, file: String) -> Self {
        PyGraphNode {
            revision,
            parents,
            file,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "GraphNode(revision={:?}, parents={:?}, file={:?})",
            self.revision, self.parents, self.file
        )
    }
}

/// Where one revision's dot goes: `node` indexes the nodes given to `graph_layout`.
#[pyclass(name = "GraphDot", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyGraphDot {
    node: usize,
    x: i64,
    y: i64,
}

impl From<Dot> for PyGraphDot {
    fn from(dot: Dot) -> Self {
        PyGraphDot {
            node: dot.node,
            x: dot.x,
            y: dot.y,
        }
    }
}

/// The drawing of a revision graph.
#[pyclass(name = "GraphLayout", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyGraphLayout {
    /// One dot per node, in graph order (parents first, ties by file, a cycle last).
    dots: Vec<Py<PyGraphDot>>,
    /// SVG path data of each parent → child edge.
    edges: Vec<String>,
    /// Width of the lanes (the labels start right of it) and height of the rows.
    width: i64,
    height: i64,
}

/// Rows, lanes and edges of the revision graph (see `render::revision_graph`).
#[pyfunction]
fn graph_layout(py: Python<'_>, nodes: Vec<PyRef<'_, PyGraphNode>>) -> PyResult<PyGraphLayout> {
    let nodes: Vec<GraphNode> = nodes
        .iter()
        .map(|n| GraphNode {
            revision: n.revision.clone(),
            parents: n.parents.clone(),
            file: n.file.clone(),
        })
        .collect();
    let Layout {
        dots,
        edges,
        width,
        height,
    } = py.detach(|| revision_graph::layout(&nodes));
    let dots = dots
        .into_iter()
        .map(|dot| Py::new(py, PyGraphDot::from(dot)))
        .collect::<PyResult<_>>()?;
    Ok(PyGraphLayout {
        dots,
        edges,
        width,
        height,
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGraphNode>()?;
    m.add_class::<PyGraphDot>()?;
    m.add_class::<PyGraphLayout>()?;
    m.add_function(wrap_pyfunction!(parents_of, m)?)?;
    m.add_function(wrap_pyfunction!(graph_layout, m)?)?;
    Ok(())
}

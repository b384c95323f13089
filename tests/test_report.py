"""The HTML report: self-contained, escaped, filterable; checked in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_mrt.models import RevisionResult, RiskWarning
from pytest_mrt.report import RevisionNode, docstring_title, graph_order, render_report

from .browser import rendered_dom, screenshot


def _nodes() -> list[RevisionNode]:
    def warn(rev: str, severity: str, rule: str, message: str) -> RiskWarning:
        return RiskWarning(rev, f"{rev}.py", rule.lower(), message, severity, 3, rule)  # type: ignore[arg-type]

    return [
        RevisionNode("a1", (), "a1.py", "create users"),
        RevisionNode(
            "b2",
            ("a1",),
            "b2.py",
            "drop phone",
            [warn("b2", "error", "MRT001", "Column 'users.phone' <dropped>")],
            RevisionResult("b2", False, failures=["Table 'users': 3/3 rows lost after rollback"]),
        ),
        RevisionNode(
            "c3",
            ("a1",),
            "c3.py",
            "<script>alert('x')</script>",
            [warn("c3", "warning", "MRT020", "narrowing")],
        ),
        RevisionNode(
            "d4", ("b2", "c3"), "d4.py", "merge heads", verdict=RevisionResult("d4", True)
        ),
    ]


def test_graph_order_puts_parents_first_and_survives_cycles() -> None:
    order = [n.revision for n in graph_order(list(reversed(_nodes())))]
    assert order.index("a1") < order.index("b2") < order.index("d4")
    assert order.index("c3") < order.index("d4")
    cyclic = [RevisionNode("x", ("y",), "x.py"), RevisionNode("y", ("x",), "y.py")]
    assert sorted(n.revision for n in graph_order(cyclic)) == ["x", "y"]


def test_docstring_title() -> None:
    assert (
        docstring_title('# -*- coding: utf-8 -*-\n"""add users\n\nRevision ID: 1\n"""')
        == "add users"
    )
    assert docstring_title("revision = 'x'\n") == ""


def test_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    html_text = render_report(_nodes(), title="proj <b>")
    assert "proj &lt;b&gt;" in html_text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html_text
    assert "Column &#x27;users.phone&#x27; &lt;dropped&gt;" in html_text
    # No network: nothing is loaded from anywhere.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html_text)
    assert "<link" not in html_text


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "migration_report.html"
    path.write_text(render_report(_nodes(), title="demo"), encoding="utf-8")
    return path


def test_rendered_report_in_chromium(report_file: Path) -> None:
    dom = rendered_dom(report_file.as_uri())
    assert 'data-ready="1"' in dom, "the report's script did not run"
    assert len(re.findall(r'<section class="card', dom)) == 4
    assert "4 of 4 revisions shown" in dom
    # The injected title stayed text: the only scripts are the report's own two.
    assert len(re.findall(r"<script", dom)) == 2
    # Graph: one node per revision, and the merge has two incoming edges.
    assert len(re.findall(r'<a href="#rev-', dom)) == 4
    assert len(re.findall(r'<path class="edge"', dom)) == 4
    assert "Rollback: failed" in dom and "3/3 rows lost" in dom


def test_filters_from_the_url_hide_cards(report_file: Path) -> None:
    dom = rendered_dom(report_file.as_uri() + "#sev=error&clean=0")
    assert "1 of 4 revisions shown" in dom
    visible = re.findall(r'<section class="card [^"]*" id="rev-(\w+)"(?![^>]*hidden)', dom)
    assert visible == ["b2"]
    dom = rendered_dom(report_file.as_uri() + "#sev=error,warning&q=narrowing")
    assert "1 of 4 revisions shown" in dom


def test_screenshot(report_file: Path, tmp_path: Path) -> None:
    png = screenshot(report_file.as_uri(), tmp_path / "report.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a rendered page, not a blank canvas

"""The HTML report: self-contained, escaped, filterable; checked in headless Chromium."""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

import pytest
from pytest_mrt import _core
from pytest_mrt.models import RevisionResult, RiskWarning
from pytest_mrt.report import RevisionNode, graph_order, render_report

from .browser import rendered_dom, screenshot
from .cli import run_mrt


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


def test_a_migration_title_is_its_docstring_first_line(tmp_path: Path) -> None:
    heads = {
        "a1": '# -*- coding: utf-8 -*-\n"""add users\n\nRevision ID: a1\n"""\n',
        "b2": "'''\n  rename posts  \n'''\n",  # a blank first line is skipped
        "c3": "",  # no docstring
        "d4": 'x = 1\n"""not a docstring: not the first statement"""\n',
    }
    parents = {"a1": None, "b2": "a1", "c3": "b2", "d4": "c3"}
    for revision, head in heads.items():
        (tmp_path / f"{revision}.py").write_text(
            f"{head}revision = {revision!r}\ndown_revision = {parents[revision]!r}\n"
            "def upgrade():\n    pass\n\ndef downgrade():\n    pass\n"
        )
    scanned = _core.scan([str(tmp_path)], {}, [], True)
    titles = {m.revision: m.title for m in scanned.migrations}
    assert titles == {"a1": "add users", "b2": "rename posts", "c3": "", "d4": ""}


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


BLOG_VERSIONS = Path(__file__).parent.parent / "examples" / "blog" / "migrations" / "versions"


def mrt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_mrt(*args, cwd=cwd)


def test_report_of_the_blog_example_with_rollback_results(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(
        json.dumps(
            [
                {"revision": "001", "passed": True, "failures": []},
                {
                    "revision": "004",
                    "passed": False,
                    "failures": ["Column 'users.phone': 3/3 values lost after rollback"],
                },
                {"revision": "005", "passed": False, "skipped": True, "skip_reason": "ADR-7"},
            ]
        )
    )
    out = tmp_path / "r.html"
    done = mrt(
        "report", str(BLOG_VERSIONS), "-o", str(out), "--results", str(results), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out} (8 revisions, ")
    dom = rendered_dom(out.as_uri())
    found = re.findall(r'<section class="card (\w+)" id="rev-(\w+)"', dom)
    statuses = {rev: status for status, rev in found}
    assert len(statuses) == 8
    assert statuses["001"] == "clean"
    assert statuses["004"] == "error"
    assert statuses["003"] == "warning"  # index without CONCURRENTLY
    card_004 = dom[dom.index('id="rev-004"') :].split("</section>", 1)[0]
    assert "MRT001" in card_004 and "users.phone" in card_004
    assert "Rollback: failed" in card_004
    card_005 = dom[dom.index('id="rev-005"') :].split("</section>", 1)[0]
    assert "Rollback: skipped — ADR-7" in card_005
    assert "drop users.phone" in dom  # titles come from the migration docstrings


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("report", "missing-dir"), "missing-dir"),
        (
            ("report", str(BLOG_VERSIONS), "-o", "/proc/nope/r.html"),
            "cannot write /proc/nope/r.html",
        ),
        (("report", str(BLOG_VERSIONS), "--results", "nothere.json"), "cannot read nothere.json"),
    ],
)
def test_report_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    done = mrt(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and fragment in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_report_rejects_malformed_results(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"revision": "001"}')
    done = mrt("report", str(BLOG_VERSIONS), "--results", "bad.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "bad.json: expected a JSON list of rollback results" in done.stderr
    assert not (tmp_path / "migration_report.html").exists()


def test_fixture_writes_results_and_report(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    pytester.makepyfile(
        test_report="""
        def test_write(mrt):
            mrt.check_all()
            mrt.write_results("results.json")
            mrt.write_report("from_fixture.html")
        """
    )
    result = pytester.runpytest("test_report.py")
    result.assert_outcomes(passed=1)
    results = json.loads((pytester.path / "results.json").read_text())
    verdicts = {r["revision"]: r["passed"] for r in results}
    assert verdicts == {
        "001": True,
        "002": True,
        "003": True,
        "004": False,
        "005": False,
        "006": False,
        "007": False,
        "008": True,
    }
    assert all(r["risk_score"] == min(100, 25 * len(r["failures"])) for r in results)
    # The same verdicts reach the report whether it is written by the fixture or the CLI.
    cli = mrt(
        "report",
        "migrations/versions",
        "--results",
        "results.json",
        "-o",
        "from_cli.html",
        cwd=pytester.path,
    )
    assert cli.returncode == 0, cli.stderr
    for name in ("from_fixture.html", "from_cli.html"):
        dom = rendered_dom((pytester.path / name).as_uri())
        assert dom.count("Rollback: failed") == 4, name
        assert dom.count("Rollback: reversible") == 4, name


def test_saved_results_load_back_and_a_broken_item_is_named(tmp_path: Path) -> None:
    from pytest_mrt.report import ReportError, load_results

    saved = RevisionResult(
        "b2",
        False,
        failures=["Table 'users': 3/3 rows lost after rollback"],
        down_revision=("a1", "a0"),
        status="failed",
        coverage={"users": 3},
        failure_kind="data_lost",
    ).to_dict()
    path = tmp_path / "results.json"
    path.write_text(json.dumps([saved, {"revision": "c3", "status": "???", "coverage": 4}]))
    b2, c3 = load_results(path)
    assert (b2.failures, b2.status, b2.failure_kind, b2.coverage) == (
        saved["failures"],
        "failed",
        "data_lost",
        {"users": 3},
    )
    # Unknown values are derived or left out, as for a hand-edited file.
    assert (c3.status, c3.passed, c3.coverage) == ("passed", True, {})
    for item, error in (
        ({"failures": []}, "item 0 has no 'revision'"),
        ({"revision": "x", "failures": "oops"}, "item 0: 'failures' must be a list"),
    ):
        path.write_text(json.dumps([item]))
        with pytest.raises(ReportError, match=error):
            load_results(path)


def _awkward_text(rng: random.Random) -> str:
    """Text from every range json.dumps escapes differently: ASCII, control characters, DEL,
    Latin-1, the BMP (U+2028 included) and astral characters (surrogate pairs)."""
    pools = [(0x20, 0x7E), (0x00, 0x1F), (0x7F, 0xFF), (0x100, 0xD7FF), (0xE000, 0xFFFF)]
    pools += [(0x10000, 0x10FFFF), (0x22, 0x22), (0x5C, 0x5C)]
    return "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(rng.randint(0, 12)))


def test_saved_results_are_written_as_python_json_dumps_writes_them() -> None:
    # The results file is written in Rust (render::json::results); it must stay byte for byte
    # what `json.dumps(indent=2)` of the `to_dict` objects gives, as it was written before.
    from pytest_mrt import _core

    rng = random.Random(11)
    results = [
        RevisionResult(
            "caf\u00e9\U0001f600",
            False,
            failures=["Table 'm\u00fcll': \u2028 \x7f \x00 \"q\" \\ \U0001d11e"],
            down_revision=("a1", "\u00e90"),
            coverage={"\u00fcber": 3, "t": 0},
            failure_kind="data_lost",
            duration_s=1e-05,
        )
    ]
    for i in range(40):
        results.append(
            RevisionResult(
                _awkward_text(rng) or f"r{i}",
                rng.random() < 0.5,
                skipped=rng.random() < 0.2,
                skip_reason=_awkward_text(rng),
                failures=[_awkward_text(rng) for _ in range(rng.randint(0, 5))],
                down_revision=rng.choice([None, _awkward_text(rng), ("x", _awkward_text(rng))]),
                warnings=[_awkward_text(rng) for _ in range(rng.randint(0, 2))],
                coverage={_awkward_text(rng): rng.randint(0, 10**12) for _ in range(2)},
                duration_s=rng.choice([0.0, 10 ** rng.uniform(-8, 18), rng.uniform(0, 600)]),
            )
        )
    for batch in ([], results[:1], results):
        expected = json.dumps([r.to_dict() for r in batch], indent=2) + "\n"
        assert _core.results_json(batch) == expected

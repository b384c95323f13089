"""``mrt report``: one self-contained HTML file (inline CSS and JS, no network).

A card per revision in graph order with its static findings and, when known, its rollback
verdict; severity counts and filters; the revision graph as inline SVG. Every piece of user
text goes through `html.escape`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from . import _core
from .models import MigrationAST, RevisionResult, RiskWarning, plural
from .summary import coverage_text


@dataclass
class RevisionNode:
    """One revision as the report shows it."""

    revision: str
    parents: tuple[str, ...]
    file: str
    title: str = ""
    findings: list[RiskWarning] = field(default_factory=list)
    verdict: RevisionResult | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def status(self) -> str:
        """error / warning / clean from the scan; a failed rollback counts as an error."""
        if self.errors or (self.verdict and not self.verdict.passed and not self.verdict.skipped):
            return "error"
        return "warning" if self.warnings else "clean"


def _layout(nodes: Sequence[RevisionNode]) -> _core.GraphLayout:
    """Rows (parents first, ties by file name, a cycle's revisions last), lanes and edges,
    decided in Rust (`_core.graph_layout`, src/render/revision_graph.rs)."""
    return _core.graph_layout([_core.GraphNode(n.revision, list(n.parents), n.file) for n in nodes])


def graph_order(nodes: Sequence[RevisionNode]) -> list[RevisionNode]:
    """The nodes in the order the report draws them (see `_layout`)."""
    return [nodes[dot.node] for dot in _layout(nodes).dots]


def _graph_svg(nodes: Sequence[RevisionNode], layout: _core.GraphLayout) -> str:
    width = layout.width + 520
    parts = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{layout.height}" viewBox="0 0 {width} {layout.height}" role="img" '
        f'aria-label="revision graph">'
    ]
    parts += [f'<path class="edge" d="{d}"/>' for d in layout.edges]
    for dot in layout.dots:
        node = nodes[dot.node]
        label = escape(node.revision) + (f"  {escape(node.title)}" if node.title else "")
        parts.append(
            f'<a href="#rev-{_anchor(node.revision)}" class="node {node.status}" '
            f'data-revision="{escape(node.revision)}"><circle cx="{dot.x}" cy="{dot.y}" r="6"/>'
            f'<text x="{layout.width + 8}" y="{dot.y + 4}">{label}</text></a>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _anchor(revision: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", revision)


def _card(node: RevisionNode) -> str:
    rows = []
    for f in sorted(node.findings, key=lambda f: (f.line or 0, f.rule or "")):
        fix = f'<div class="fix">Fix: {escape(f.fix)}</div>' if f.fix else ""
        rows.append(
            f'<tr class="finding" data-severity="{escape(f.severity)}">'
            f'<td><span class="sev {escape(f.severity)}">{escape(f.severity)}</span></td>'
            f"<td>{escape(f.rule or '')}</td><td>{escape(f.pattern)}</td>"
            f"<td>{f.line if f.line is not None else ''}</td>"
            f"<td>{escape(f.message)}{fix}</td></tr>"
        )
    table = (
        '<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>pattern</th>'
        f"<th>line</th><th>message</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="none">No static findings.</p>'
    )
    verdict = ""
    if node.verdict is not None:
        v = node.verdict
        cover = coverage_text(v, limit=12)
        cover_html = f'<div class="coverage">{escape(cover)}</div>' if cover else ""
        if v.skipped:
            verdict = (
                f'<div class="verdict skipped">Rollback: skipped — {escape(v.skip_reason)}</div>'
            )
        elif v.passed and v.status != "unverified":
            verdict = f'<div class="verdict passed">Rollback: reversible{cover_html}</div>'
        else:
            lines = v.failures if not v.passed else v.warnings
            items = "".join(f"<li>{escape(x)}</li>" for x in lines)
            label = {
                "upgrade_fails_on_data": "upgrade fails on data",
                "unverified": "unverified (data not exercised)",
                "blocked": "blocked",
            }.get(str(v.status), "failed")
            css = "skipped" if v.status == "unverified" else "failed"
            verdict = (
                f'<div class="verdict {css}" data-rollback="{escape(str(v.status))}">'
                f"Rollback: {escape(label)}<ul>{items}</ul>{cover_html}</div>"
            )
    parents = ", ".join(escape(p) for p in node.parents) or "base"
    verdict_state = "none" if node.verdict is None else str(node.verdict.status)
    return (
        f'<section class="card {node.status}" id="rev-{_anchor(node.revision)}" '
        f'data-status="{node.status}" data-verdict="{verdict_state}" '
        f'data-text="{escape((node.revision + " " + node.title + " " + node.file).lower())}">'
        f"<header><h2><code>{escape(node.revision)}</code> {escape(node.title)}</h2>"
        f'<div class="counts"><span class="sev error">{plural(node.errors, "error")}</span>'
        f'<span class="sev warning">{plural(node.warnings, "warning")}</span></div></header>'
        f'<div class="meta">{escape(node.file)} · revises {parents}</div>'
        f"{verdict}{table}</section>"
    )


def render_report(
    nodes: Iterable[RevisionNode], *, title: str, generated: _dt.datetime | None = None
) -> str:
    """The whole HTML document."""
    given = list(nodes)
    layout = _layout(given)
    ordered = [given[dot.node] for dot in layout.dots]
    generated = generated or _dt.datetime.now(_dt.timezone.utc)
    errors = sum(n.errors for n in ordered)
    warnings = sum(n.warnings for n in ordered)
    verdicts = [n.verdict for n in ordered if n.verdict is not None]
    failed = sum(1 for v in verdicts if not v.passed and not v.skipped)
    stats = [
        ("revisions", len(ordered), ""),
        ("errors", errors, "error"),
        ("warnings", warnings, "warning"),
    ]
    if verdicts:
        stats.append(("rollback failures", failed, "error" if failed else "clean"))
    tiles = "".join(
        f'<div class="tile {cls}" data-stat="{escape(name)}"><b>{value}</b>'
        f"{escape(name if value != 1 else name[:-1])}</div>"
        for name, value, cls in stats
    )
    cards = "".join(_card(n) for n in reversed(ordered))  # newest first, like `alembic history`
    data = json.dumps({"errors": errors, "warnings": warnings, "revisions": len(ordered)})
    return _TEMPLATE.format(
        title=escape(title),
        generated=escape(generated.strftime("%Y-%m-%d %H:%M UTC")),
        tiles=tiles,
        graph=_graph_svg(given, layout),
        cards=cards,
        data=data.replace("</", "<\\/"),
        css=_asset("report.css"),
        js=_asset("report.js"),
    )


def _asset(name: str) -> str:
    """CSS and JS shipped in the package, inlined so the report needs nothing else."""
    return (Path(__file__).parent / "assets" / name).read_text(encoding="utf-8")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Migration safety report — {title}</title><style>{css}</style></head>
<body>
<header class="top"><h1>Migration safety report</h1>
<div class="sub">{title} · generated {generated} by pytest-mrt</div>
<div class="tiles">{tiles}</div></header>
<div class="controls">
<label><input type="checkbox" name="sev" value="error" checked> errors</label>
<label><input type="checkbox" name="sev" value="warning" checked> warnings</label>
<label><input type="checkbox" id="clean" checked> clean revisions</label>
<input type="search" id="q" placeholder="filter by revision, table, text…" aria-label="filter">
<span id="shown"></span></div>
<main><div class="graphbox">{graph}</div><div class="cards">{cards}</div></main>
<script type="application/json" id="mrt-data">{data}</script>
<script>{js}</script>
</body></html>
"""


# -- building a report from a scan ------------------------------------------------------


class ReportError(Exception):
    """Bad input for ``mrt report``: one line, exit code 2."""


def load_results(path: Path) -> list[RevisionResult]:
    """Rollback verdicts from a JSON list of `RevisionResult` objects (as `mrt` writes them)."""
    if path.exists() and not path.is_file():  # a FIFO would block, /dev/zero never ends
        raise ReportError(f"cannot read {path}: not a regular file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}") from None
    except RecursionError:
        raise ReportError(
            f"{path}: not a JSON file of rollback results (nested too deeply)"
        ) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, oversized numbers
        raise ReportError(f"{path}: not a JSON file of rollback results ({exc})") from None
    if not isinstance(data, list):
        raise ReportError(f"{path}: expected a JSON list of rollback results")
    results = []
    for index, item in enumerate(data):
        try:
            results.append(RevisionResult.from_dict(item))
        except ValueError as exc:  # its message ends the sentence: " has no 'revision'"
            raise ReportError(f"{path}: item {index}{exc}") from None
    return results


def build_nodes(
    findings: Sequence[RiskWarning],
    migrations: Sequence[MigrationAST],
    results: Sequence[RevisionResult] = (),
) -> list[RevisionNode]:
    """One node per migration, with its findings and verdict attached."""
    verdicts = {r.revision: r for r in results}
    nodes = {
        m.revision: RevisionNode(
            revision=m.revision,
            parents=_core.parents_of(m.down_revision),
            file=m.filename,
            title=m.title,
            verdict=verdicts.get(m.revision),
        )
        for m in migrations
    }
    for finding in findings:
        node = nodes.get(finding.revision)
        if node is None:  # a finding on a file the scanner could not model (syntax error)
            node = nodes[finding.revision] = RevisionNode(finding.revision, (), finding.file)
        node.findings.append(finding)
    return list(nodes.values())


def cmd_report(args: argparse.Namespace) -> int:
    """``mrt report``."""
    from .config import ConfigError, MRTConfig, read_pyproject
    from .files import write_atomically
    from .static import scan_with_migrations

    try:
        config = read_pyproject(Path.cwd()) or MRTConfig()
        results = load_results(args.results) if args.results else []
        findings, migrations = scan_with_migrations([Path(p) for p in args.paths], config)
        html_text = render_report(
            build_nodes(findings, migrations, results), title=args.title or args.paths[0]
        )
        output: Path = args.output
        if output.is_dir():
            raise ReportError(f"cannot write {output}: it is a directory")
        try:
            write_atomically(output, html_text.encode("utf-8"))
        except OSError as exc:
            raise ReportError(f"cannot write {output}: {exc.strerror}") from None
    except (ReportError, ConfigError, _core.MRTError) as exc:
        print(f"mrt: error: {exc}", file=sys.stderr)
        return 2
    errors = sum(1 for f in findings if f.severity == "error")
    print(
        f"wrote {output} ({plural(len(migrations), 'revision')}, "
        f"{plural(len(findings), 'finding')}, {plural(errors, 'error')})"
    )
    return 0

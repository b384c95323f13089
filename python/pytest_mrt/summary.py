"""The console summary of a rollback run: one line per revision, then a boxed total."""

from __future__ import annotations

import shutil
import textwrap
import unicodedata

from .models import FailureKind, RevisionResult, plural

TITLE = " MRT — Migration Rollback Test "


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def verdict(result: RevisionResult) -> str:
    """``reversible``, ``data loss detected``, ``schema not restored``, ``rollback failed``,
    ``upgrade fails on data``, ``unverified``, ``blocked`` or ``skipped: <reason>``."""
    if result.skipped:
        return f"skipped: {result.skip_reason}"
    if result.status == "unverified":
        return "unverified (allowed)" if result.passed else "unverified: data not exercised"
    if result.passed:
        return "reversible"
    if result.status == "upgrade_fails_on_data":
        return "upgrade fails on data"
    if result.status == "blocked":
        return "blocked"
    return _FAILED[result.failure_kind or "schema_drift"]


_FAILED: dict[FailureKind, str] = {
    "rollback_failed": "rollback failed",
    "data_lost": "data loss detected",
    "schema_drift": "schema not restored",
}
_MARKS = {"skipped": "-", "unverified": "?"}


def coverage_text(result: RevisionResult, limit: int = 4) -> str:
    """``rows: users 3, posts 0, +2 tables``: rows present in each touched table."""
    if not result.coverage:
        return ""
    items = sorted(result.coverage.items())
    shown = ", ".join(f"{table} {rows}" for table, rows in items[:limit])
    more = f", +{len(items) - limit} tables" if len(items) > limit else ""
    return f"rows: {shown}{more}"


# What each verdict means in the total: only lost rows are data loss.
_TOTALS = {
    "data loss detected": ("loses data on rollback", "lose data on rollback"),
    "rollback failed": ("fails to roll back", "fail to roll back"),
    "schema not restored": ("does not restore its schema", "do not restore their schema"),
}


def _failing_total(failing: list[RevisionResult]) -> str:
    """``2 migrations lose data on rollback; 1 fails to roll back.``"""
    counts: dict[str, int] = {}
    for r in failing:
        kind = verdict(r)
        counts[kind] = counts.get(kind, 0) + 1
    parts: list[str] = []
    for kind, (one, many) in _TOTALS.items():
        n = counts.get(kind, 0)
        if n:
            noun = "" if parts else (" migration" if n == 1 else " migrations")
            parts.append(f"{n}{noun} {one if n == 1 else many}")
    return "; ".join(parts) + "."


def _wrap(line: str, width: int) -> list[str]:
    """``line`` cut into pieces of at most ``width`` columns, continued under its text."""
    if _width(line) <= width:
        return [line]
    lead = " " * (len(line) - len(line.lstrip(" ")))
    if line.lstrip(" ").startswith("└─ "):
        lead += "   "
    return textwrap.wrap(
        line, width, subsequent_indent=lead, break_long_words=True, break_on_hyphens=False
    ) or [line]


def render_summary(results: list[RevisionResult], width: int | None = None) -> str:
    """The summary users read after ``assert_all_reversible``, as one string. The box fits
    ``width`` columns (the terminal's, 100 when not a terminal); longer lines wrap inside."""
    rule_width = 56
    side = (rule_width - _width(TITLE)) // 2
    lines = ["", "  " + "─" * side + TITLE + "─" * (rule_width - side - _width(TITLE)), ""]
    for r in results:
        mark = _MARKS.get(str(r.status), "✓" if r.passed else "✗")
        cover = coverage_text(r)
        lines.append(f"  {mark}  {r.revision}  {verdict(r)}" + (f"  [{cover}]" if cover else ""))
        if not r.passed and not r.skipped:
            lines += [f"     └─ {failure}" for failure in r.failures]
        lines += [f"     ! {warning}" for warning in r.warnings]
    failing = [r for r in results if not r.passed and not r.skipped]
    skipped = sum(1 for r in results if r.skipped)
    passed = sum(1 for r in results if r.passed and not r.skipped)
    if failing:
        counts = {
            status: sum(1 for r in failing if r.status == status)
            for status in ("upgrade_fails_on_data", "unverified", "blocked")
        }
        failed = [r for r in failing if r.status not in counts]
        body = []
        if failed:
            body.append(_failing_total(failed))
        if counts["upgrade_fails_on_data"]:
            n = counts["upgrade_fails_on_data"]
            verb = "fails" if n == 1 else "fail"
            body.append(f"{plural(n, 'upgrade')} {verb} when the tables hold rows.")
        if counts["unverified"]:
            body.append(
                f"{counts['unverified']} unverified: their data was not exercised"
                " (no rows, or no row their UPDATE/DELETE matched)."
            )
        if counts["blocked"]:
            body.append(f"{counts['blocked']} blocked: an ancestor's upgrade fails.")
        for r in failing:
            body.append(f"  {r.revision}")
            body += [f"    └─ {failure}" for failure in r.failures]
    else:
        body = [
            f"All {passed} checked migrations are reversible."
            if passed != 1
            else "The 1 checked migration is reversible."
        ]
    if skipped:
        body.append(f"{skipped} skipped.")
    columns = width or shutil.get_terminal_size((100, 24)).columns
    widest = max(24, columns - 5)  # "  │  " … "│" around each line
    body = [piece for b in body for piece in _wrap(b, widest - 4)]
    inner = max(_width(b) for b in body) + 4
    lines.append("")
    lines.append("  ╭" + "─" * inner + "╮")
    lines += ["  │  " + _pad(b, inner - 2) + "│" for b in body]
    lines.append("  ╰" + "─" * inner + "╯")
    return "\n".join(lines)

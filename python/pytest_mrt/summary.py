"""The console summary of a rollback run: one line per revision, then a boxed total."""

from __future__ import annotations

import unicodedata

from .models import RevisionResult

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
    if any(" failed: " in f or f.startswith("cannot reach") for f in result.failures):
        return "rollback failed"
    if any("rows lost" in f or "values changed" in f for f in result.failures):
        return "data loss detected"
    return "schema not restored"


_MARKS = {"skipped": "-", "unverified": "?"}


def coverage_text(result: RevisionResult, limit: int = 4) -> str:
    """``rows: users 3, posts 0, +2 tables``: rows present in each touched table."""
    if not result.coverage:
        return ""
    items = sorted(result.coverage.items())
    shown = ", ".join(f"{table} {rows}" for table, rows in items[:limit])
    more = f", +{len(items) - limit} tables" if len(items) > limit else ""
    return f"rows: {shown}{more}"


def render_summary(results: list[RevisionResult]) -> str:
    """The summary users read after ``assert_all_reversible``, as one string."""
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
        failed = len(failing) - sum(counts.values())
        body = []
        if failed:
            body.append(f"{failed} migration(s) will cause data loss on rollback.")
        if counts["upgrade_fails_on_data"]:
            body.append(
                f"{counts['upgrade_fails_on_data']} upgrade(s) fail when the tables hold rows."
            )
        if counts["unverified"]:
            body.append(f"{counts['unverified']} unverified: their data could not be seeded.")
        if counts["blocked"]:
            body.append(f"{counts['blocked']} blocked: an ancestor's upgrade fails.")
        for r in failing:
            body.append(f"  {r.revision}")
            body += [f"    └─ {failure}" for failure in r.failures]
    else:
        body = [f"All {passed} checked migration(s) are reversible."]
    if skipped:
        body.append(f"{skipped} skipped.")
    inner = max(_width(b) for b in body) + 4
    lines.append("")
    lines.append("  ╭" + "─" * inner + "╮")
    lines += ["  │  " + _pad(b, inner - 2) + "│" for b in body]
    lines.append("  ╰" + "─" * inner + "╯")
    return "\n".join(lines)

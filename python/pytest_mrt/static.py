"""Static analysis: the native scanner plus the user's ``custom_checks``.

The fixture (``mrt.check_static()``) and anything else that wants findings as `RiskWarning`
objects come through here; the ``mrt check`` CLI calls the native engine directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import _core
from .config import MRTConfig
from .models import MigrationAST, RiskWarning


class CustomCheckError(_core.MRTError):
    """A function in ``MRTConfig.custom_checks`` raised or returned something unusable."""


def _check_name(check: Callable[..., Any]) -> str:
    return getattr(check, "__qualname__", None) or repr(check)


def _run_custom(
    checks: Sequence[Callable[[MigrationAST], list[RiskWarning]]],
    migrations: list[MigrationAST],
    overrides: dict[str, str],
) -> list[RiskWarning]:
    out: list[RiskWarning] = []
    for check in checks:
        name = _check_name(check)
        for migration in migrations:
            try:
                result = check(migration)
            except Exception as exc:
                raise CustomCheckError(
                    f"custom check {name} raised {type(exc).__name__}: {exc} "
                    f"(on {migration.filename})"
                ) from None
            if result is None:
                continue
            if not isinstance(result, (list, tuple)) or not all(
                isinstance(w, RiskWarning) for w in result
            ):
                raise CustomCheckError(
                    f"custom check {name} must return a list of RiskWarning, "
                    f"got {type(result).__name__} (on {migration.filename})"
                )
            for warning in result:
                severity = _core.custom_severity(overrides, warning.pattern)
                if severity == "off":
                    continue
                if severity is not None:
                    warning.severity = severity
                out.append(warning)
    return out


def scan(paths: list[Path], config: MRTConfig) -> list[RiskWarning]:
    """Scan migration files or folders; built-in rules first, then ``config.custom_checks``.

    ``config.skip`` revisions are left out and ``config.severity_overrides`` apply (by rule
    code, rule name or pattern name) to built-in and custom findings alike.
    """
    return scan_with_migrations(paths, config, want_migrations=False)[0]


def scan_with_migrations(
    paths: list[Path], config: MRTConfig, *, want_migrations: bool = True
) -> tuple[list[RiskWarning], list[MigrationAST]]:
    """Like `scan`, also returning the parsed migrations (for reports and explanations)."""
    need_parse = want_migrations or bool(config.custom_checks)
    scanned = _core.scan(
        [str(p) for p in paths],
        config.severity_overrides,
        list(config.skip),
        need_parse,
    )
    out = list(scanned.findings)
    parsed = scanned.migrations if need_parse else []
    if config.custom_checks:
        # The skip rule of the scanner and the rollback checks: exact id or unique prefix.
        skipped = _core.skipped_revisions(list(config.skip), [m.revision for m in parsed])
        checked = [m for m in parsed if m.revision not in skipped]
        out.extend(_run_custom(config.custom_checks, checked, config.severity_overrides))
    return out, parsed


def format_findings(findings: list[RiskWarning]) -> str:
    """Plain text, one finding per line: ``file:line: CODE pattern: message``."""
    lines = []
    for w in findings:
        where = f"{w.file}:{w.line}" if w.line is not None else w.file
        code = f"{w.rule} " if w.rule else ""
        lines.append(f"{where}: {code}{w.pattern}: {w.message}")
    return "\n".join(lines)

"""``pytest --mrt``: one ``test_migration[<revision>]`` item per Alembic revision.

Items share one test database for the session, so running them in order walks the history
once (each check leaves the database at its revision, the next one's parent). Selecting a
subset (``-k``) works too: a check moves the database to its revision's parent itself.

Statuses become outcomes: ``passed`` passes, ``skipped`` skips, ``unverified`` is an xfail
with its reason (a failure under ``xfail_strict = true``; a pass with ``allow_unverified``),
and ``failed``, ``upgrade_fails_on_data`` and ``blocked`` fail with their lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from .fixture import MRTFixture
    from .models import RevisionResult

_SHARED = pytest.StashKey["MRTFixture"]()


class NotReversible(Exception):
    """A revision's rollback check found differences."""

    def __init__(self, result: RevisionResult) -> None:
        super().__init__(result.failure_summary())
        self.result = result


def _shared_fixture(config: pytest.Config) -> MRTFixture:
    from .fixture import MRTFixture
    from .resolve import resolve_config

    fixture = config.stash.get(_SHARED, None)
    if fixture is None:
        fixture = MRTFixture(resolve_config(config, None), Path(config.rootpath))
        config.stash[_SHARED] = fixture
        config.add_cleanup(lambda: _close(fixture))
    return fixture


def _close(fixture: MRTFixture) -> None:
    """At the end of the session: a failed cleanup is one line on stderr, not a crash."""
    import sys

    try:
        fixture.close()
    except pytest.fail.Exception as exc:
        sys.stderr.write(f"{exc.msg}\n")


class MigrationItem(pytest.Item):
    """Checks one revision's rollback."""

    def __init__(self, *, revision: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.revision = revision

    def runtest(self) -> None:
        from .config import ConfigError
        from .fixture import _fail
        from .runner import MigrationError

        try:
            fixture = _shared_fixture(self.config)
        except (ConfigError, MigrationError) as exc:
            _fail(str(exc))
        result = fixture.check_revision(self.revision)
        for warning in result.warnings:
            self.add_report_section("call", "mrt warnings", warning)
        if result.skipped:
            pytest.skip(result.skip_reason)
        if result.passed:
            return
        if result.status == "unverified" and not self.config.getini("xfail_strict"):
            pytest.xfail("; ".join(result.failures))
        raise NotReversible(result)

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, NotReversible):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"migration {self.revision}"


class MigrationFile(pytest.File):
    """alembic.ini, collected as the revisions it describes."""

    def __init__(self, *, revisions: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.revisions = revisions

    def collect(self) -> Iterator[MigrationItem]:
        for rev in self.revisions:
            yield MigrationItem.from_parent(self, name=f"test_migration[{rev}]", revision=rev)


def collect_migrations(session: pytest.Session) -> list[pytest.Item]:
    """The per-revision items for the configured alembic.ini."""
    from alembic.script import ScriptDirectory

    from .config import ConfigError
    from .fixture import _locate
    from .resolve import resolve_config
    from .runner import alembic_config

    try:
        cfg = resolve_config(session.config, None)
    except ConfigError as exc:
        raise pytest.UsageError(f"mrt: {exc}") from None
    root = Path(session.config.rootpath)
    ini = _locate(root, cfg.alembic_ini, "alembic_ini")
    if not ini.is_file():
        raise pytest.UsageError(f"mrt: alembic.ini not found: {ini} (set MRTConfig.alembic_ini)")
    versions = _locate(root, cfg.versions_dir, "versions_dir") if cfg.versions_dir else None
    alembic_cfg = alembic_config(ini, versions)
    try:
        scripts = list(ScriptDirectory.from_config(alembic_cfg).walk_revisions("base", "heads"))
    except Exception as exc:
        raise pytest.UsageError(f"mrt: {ini}: {exc}") from None
    revisions = [s.revision for s in reversed(scripts)]
    node = MigrationFile.from_parent(session, path=ini, revisions=revisions)
    return list(node.collect())

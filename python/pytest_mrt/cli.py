"""The ``mrt`` command line (also ``python -m pytest_mrt``).

Exit codes: 0 safe, 1 findings (errors, or warnings with ``--strict``), 2 usage or input error.
Errors are one line on stderr; a traceback is a bug.
"""

from __future__ import annotations

import sys

# Neither `typing` nor `argparse` is imported on the `mrt check` path: the CLI's cold start is
# part of every CI job.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

USAGE_ERROR = 2


class UsageExit(Exception):
    """Raised for bad input; `main` prints it as one line and exits 2."""


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            # argparse prints the whole usage block; one line and a pointer read better in CI.
            raise UsageExit(f"{message} (see '{self.prog} --help')")

    return _Parser


def _cmd_version(_args: argparse.Namespace) -> int:
    from . import _core

    print(f"pytest-mrt {_core.__version__}")
    return 0


# -- mrt check / mrt rules (the static scanner) ------------------------------------------

FORMATS = ("table", "json", "sarif", "github")


def _terminal_width() -> int:
    import os

    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return 80  # a pipe: keep the table readable in 80 columns


def _cmd_check(args: argparse.Namespace) -> int:
    return _run_check(args.paths, args.format, args.select, args.ignore, args.strict)


def _run_check(
    paths: list[str], fmt: str, select: list[str] | None, ignore: list[str] | None, strict: bool
) -> int:
    import os

    from . import _core

    try:
        # The project's [tool.mrt] (read and checked in Rust: no TOML parser loads here).
        project = _core.project_settings(os.getcwd())
        out = _core.check_cli(
            paths,
            fmt,
            select or [],
            ignore or [],
            project.overrides,
            project.skip,
            strict,
            _terminal_width(),
        )
    except _core.MRTError as exc:
        raise UsageExit(str(exc)) from None
    for note in out.notes:
        print(f"mrt: note: {note}", file=sys.stderr)
    sys.stdout.write(out.text)
    sys.stdout.flush()
    return out.exit_code


def _fast_check(argv: list[str]) -> int | None:
    """`mrt check` without argparse, whose import (with shutil and locale) is a third of the
    command's run time on a small folder. Anything unusual (``--help``, an unknown or
    abbreviated option, a missing value) returns None and goes through argparse, which also
    words the errors."""
    paths: list[str] = []
    select: list[str] = []
    ignore: list[str] = []
    fmt, strict = "table", False
    args = iter(argv)
    for arg in args:
        if arg == "--strict":
            strict = True
        elif arg in ("-f", "--format", "--select", "--ignore"):
            value = next(args, None)
            if value is None:
                return None
            if arg == "--select":
                select.append(value)
            elif arg == "--ignore":
                ignore.append(value)
            else:
                fmt = value
        elif arg.startswith(("--format=", "--select=", "--ignore=")):
            name, value = arg[2:].split("=", 1)
            if name == "format":
                fmt = value
            else:
                (select if name == "select" else ignore).append(value)
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            paths.append(arg)
    if not paths or fmt not in FORMATS:
        return None
    return _run_check(paths, fmt, select, ignore, strict)


def _cmd_rules(args: argparse.Namespace) -> int:
    from . import _core

    if args.code:
        try:
            sys.stdout.write(_core.rule_doc(args.code))
        except _core.MRTError as exc:
            raise UsageExit(str(exc)) from None
        return 0
    # Cut summaries to the terminal's width only on a terminal: piped output (grep, a file,
    # a CI log) keeps every word.
    width = _terminal_width() if sys.stdout.isatty() else None
    for rule in _core.rules():
        head = f"{rule.code}  {rule.name:<32} {rule.severity:<8} "
        summary = rule.summary
        room = max(width - len(head), 20) if width is not None else len(summary)
        line = summary if len(summary) <= room else summary[: room - 1] + "…"
        print(head + line)
    return 0


def _add_static_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    check = sub.add_parser(
        "check",
        help="scan migration files for rollback risks (no database needed)",
        description="Scan Alembic/Django migrations. Exit 0 safe, 1 findings, 2 bad input.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="versions folder(s) or files")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    check.add_argument("-f", "--format", choices=FORMATS, default="table", help="output format")
    check.add_argument(
        "--select", action="append", metavar="CODES", help="only these rules (comma-separated)"
    )
    check.add_argument(
        "--ignore", action="append", metavar="CODES", help="skip these rules (comma-separated)"
    )
    check.set_defaults(handler=_cmd_check)
    rules = sub.add_parser("rules", help="list the rules, or show one rule's documentation")
    rules.add_argument("code", nargs="?", metavar="CODE", help="rule code, name or pattern")
    rules.set_defaults(handler=_cmd_rules)


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports its module on use, keeping `mrt check` start-up small."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        command: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f".{module}", __package__), function
        )
        return command(args)

    return handler


def _add_fix_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    from pathlib import Path

    fix = sub.add_parser(
        "fix",
        help="propose (or write) the downgrade() that undoes upgrade()",
        description="Print a unified diff adding the downgrade() that undoes upgrade(). "
        "--apply writes it when downgrade() is missing or only passes. Exit 0, or 2 bad input.",
    )
    fix.add_argument("file", type=Path, metavar="MIGRATION", help="an Alembic revision file")
    fix.add_argument("--apply", action="store_true", help="rewrite the file in place")
    fix.set_defaults(handler=_lazy("fixer", "cmd_fix"))
    explain = sub.add_parser(
        "explain",
        help="explain in plain English what a migration does and what data it risks",
        description="Step by step: what upgrade() and downgrade() do, the data each step puts "
        "at risk, and a verdict. Offline.",
    )
    explain.add_argument("file", type=Path, metavar="MIGRATION", help="an Alembic or Django file")
    explain.set_defaults(handler=_lazy("fixer", "cmd_explain"))


def _add_toolbox_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    from pathlib import Path

    report = sub.add_parser(
        "report",
        help="write a self-contained HTML report of the migrations' risks",
        description="Scan migrations and write one HTML file (no network needed to view it).",
    )
    report.add_argument("paths", nargs="+", metavar="PATH", help="versions folder(s) or files")
    report.add_argument(
        "-o", "--output", default="migration_report.html", type=Path, help="HTML file to write"
    )
    report.add_argument(
        "--results",
        type=Path,
        metavar="JSON",
        help="rollback verdicts to include: a JSON list, as mrt.write_results(path) saves it",
    )
    report.add_argument("--title", default=None, help="heading (default: the first PATH)")
    report.set_defaults(handler=_lazy("report", "cmd_report"))

    init = sub.add_parser(
        "init", help="scaffold conftest.py and tests/test_migrations.py for this project"
    )
    init.add_argument("--db-url", default=None, help="test database URL to write in")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.add_argument("--dir", default=".", type=Path, help="project folder (default: .)")
    init.set_defaults(handler=_lazy("scaffold", "cmd_init"))


def build_parser(static_only: bool = False) -> argparse.ArgumentParser:
    """The full parser; ``static_only`` builds just check/rules (the CI hot path)."""
    parser_class = _parser_class()
    parser = parser_class(
        prog="mrt",
        description="Migration Rollback Tester: find migrations whose rollback loses data.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    _add_static_parsers(sub)
    if static_only:
        return parser
    _add_toolbox_parsers(sub)
    _add_fix_parsers(sub)
    version = sub.add_parser("version", help="print the installed version")
    version.set_defaults(handler=_cmd_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["check"]:
            # `mrt check` runs in every CI job: the short way when the arguments are plain.
            code = _fast_check(args_list[1:])
            if code is not None:
                return code
        # Nor do check/rules need the other subcommands' modules.
        parser = build_parser(static_only=args_list[:1] in (["check"], ["rules"]))
        args = parser.parse_args(args_list)
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return USAGE_ERROR
        return handler(args)
    except UsageExit as exc:
        print(f"mrt: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("mrt: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0

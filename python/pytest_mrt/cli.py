"""The ``mrt`` command line (also ``python -m pytest_mrt``).

Exit codes: 0 safe, 1 findings (errors, or warnings with ``--strict``), 2 usage or input error.
Errors are one line on stderr; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

USAGE_ERROR = 2


class UsageExit(Exception):
    """Raised for bad input; `main` prints it as one line and exits 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block; one line plus a pointer reads better in CI logs.
        raise UsageExit(f"{message} (see '{self.prog} --help')")


def _cmd_version(_args: argparse.Namespace) -> int:
    from . import _core

    print(f"pytest-mrt {_core.__version__}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mrt",
        description="Migration Rollback Tester: find migrations whose rollback loses data.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from . import scaffold

    scaffold.add_parser(sub)
    version = sub.add_parser("version", help="print the installed version")
    version.set_defaults(handler=_cmd_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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

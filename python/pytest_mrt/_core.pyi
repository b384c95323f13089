"""Type stubs for the native engine (src/bindings). Checked by mypy.stubtest in CI."""

import os
from typing import Any, Literal, final

from typing_extensions import disjoint_base

__version__: str

# -- errors (src/bindings/errors.rs) -----------------------------------------------------

class MRTError(Exception):
    """Base class of every pytest-mrt error."""

class UsageError(MRTError):
    """Bad input: a path, option or value."""

class DatabaseError(MRTError):
    """A database could not be used."""

class NoAnswerError(DatabaseError):
    """The database server stopped answering (`migration_timeout` ran out waiting for it)."""

    seconds: float
    """The timeout that ran out."""
    reason: str
    """``timed out after <seconds> s: the database server did not answer``."""

def no_answer(what: str, seconds: float) -> NoAnswerError:
    """The `NoAnswerError` of a Python step that waited ``seconds`` for ``what``."""

class SafetyError(MRTError):
    """The run would touch data it did not create."""

# -- configuration (src/bindings/config.rs) ----------------------------------------------

def check_config(source: str, values: dict[str, Any]) -> None:
    """Validate MRTConfig values; `UsageError` names the source and the first bad key."""

def config_keys() -> list[str]:
    """Every configuration key, in MRTConfig's field order."""

def read_pyproject(dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """``[tool.mrt]`` of ``dir/pyproject.toml``, checked; None when there is none."""

@final
class ProjectSettings:
    """What `mrt check` and `mrt explain` use of a ``pyproject.toml``'s ``[tool.mrt]``."""

    @property
    def overrides(self) -> dict[str, str]:
        """``severity_overrides``, in the file's order."""
    @property
    def skip(self) -> list[str]: ...

def project_settings(dir: str | os.PathLike[str]) -> ProjectSettings:
    """``dir/pyproject.toml``'s ``[tool.mrt]`` settings (empty without one)."""

# -- static scanner (src/bindings/scan.rs) -----------------------------------------------

@final
class CheckOutput:
    """What `check_cli` rendered."""

    @property
    def text(self) -> str: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def notes(self) -> list[str]:
        """One-line remarks for stderr (override keys that name no rule)."""

def check_cli(
    paths: list[str],
    format: str = "table",
    select: list[str] = ...,
    ignore: list[str] = ...,
    overrides: dict[str, str] | None = None,
    skip: list[str] = ...,
    strict: bool = False,
    width: int = 80,
) -> CheckOutput:
    """Scan and render in one call."""

# -- public value types (src/bindings/public_types.rs) ------------------------------------

_Severity = Literal["error", "warning"]

@disjoint_base
class RiskWarning:
    """One static finding. Built by the scanner, and by `custom_checks` functions."""

    revision: str
    file: str
    pattern: str
    message: str
    line: int | None
    rule: str | None
    column: int | None
    fix: str | None
    def __new__(
        cls,
        revision: str,
        file: str,
        pattern: str,
        message: str,
        severity: _Severity = "error",
        line: int | None = None,
        rule: str | None = None,
        column: int | None = None,
        fix: str | None = None,
    ) -> RiskWarning: ...
    @property
    def severity(self) -> _Severity:
        """``error`` or ``warning`` (anything else raises ValueError)."""
    @severity.setter
    def severity(self, value: _Severity) -> None: ...
    def to_dict(self) -> dict[str, Any]:
        """The JSON object `mrt check --format json` prints (keys: `FINDING_KEYS`)."""
    def __getnewargs__(
        self,
    ) -> tuple[str, str, str, str, _Severity, int | None, str | None, int | None, str | None]: ...

@final
class Operation:
    """One migration operation as the scanner understood it (``op.add_column(...)``, ...)."""

    kind: str
    table: str | None
    column: str | None
    name: str | None
    line: int | None
    kwargs: dict[str, str]
    sql: str | None
    def __new__(
        cls,
        kind: str,
        table: str | None = None,
        column: str | None = None,
        name: str | None = None,
        line: int | None = None,
        kwargs: dict[str, str] | None = None,
        sql: str | None = None,
    ) -> Operation: ...

@final
class MigrationAST:
    """A parsed migration file, as `custom_checks` receive it."""

    revision: str
    down_revision: str | tuple[str, ...] | None
    filename: str
    source: str
    upgrade_ops: list[Operation]
    downgrade_ops: list[Operation]
    has_downgrade: bool
    kind: str
    branch_labels: list[str]
    depends_on: list[str]
    title: str
    """The first line of the module docstring (Alembic's revision message); may be empty."""
    def __new__(
        cls,
        revision: str,
        down_revision: str | tuple[str, ...] | None,
        filename: str,
        source: str,
        upgrade_ops: list[Operation] | None = None,
        downgrade_ops: list[Operation] | None = None,
        has_downgrade: bool = True,
        kind: str = "alembic",
        branch_labels: list[str] | None = None,
        depends_on: list[str] | None = None,
        title: str = "",
    ) -> MigrationAST: ...

@final
class ScanOutcome:
    """What `scan` found."""

    @property
    def findings(self) -> list[RiskWarning]: ...
    @property
    def migrations(self) -> list[MigrationAST]:
        """The parsed migrations (only when ``with_migrations``)."""
    @property
    def unknown_keys(self) -> list[str]:
        """``severity_overrides`` keys that name no rule or pattern."""

def scan(
    paths: list[str],
    overrides: dict[str, str] | None = None,
    skip: list[str] = ...,
    with_migrations: bool = False,
) -> ScanOutcome: ...

@final
class RuleInfo:
    """One rule, as `mrt rules` lists it."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def pattern(self) -> str: ...
    @property
    def severity(self) -> _Severity: ...
    @property
    def summary(self) -> str: ...

def rules() -> list[RuleInfo]:
    """Every rule, in code order."""

def rule_doc(key: str) -> str:
    """One rule's documentation, by code, name or pattern name."""

FINDING_KEYS: list[str]
"""The keys of a finding's JSON object, in order (src/render/json.rs)."""

# -- the revision graph (src/bindings/graph.rs) -------------------------------------------

def parents_of(down_revision: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """The revision ids a ``down_revision`` names (empty for a base)."""

@final
class GraphNode:
    """One revision as the report's graph sees it."""

    def __new__(cls, revision: str, parents: list[str], file: str) -> GraphNode: ...
    @property
    def revision(self) -> str: ...
    @property
    def parents(self) -> list[str]: ...
    @property
    def file(self) -> str: ...

@final
class GraphDot:
    """Where one revision's dot goes; ``node`` indexes the nodes given to `graph_layout`."""

    @property
    def node(self) -> int: ...
    @property
    def x(self) -> int: ...
    @property
    def y(self) -> int: ...

@final
class GraphLayout:
    """The drawing of a revision graph."""

    @property
    def dots(self) -> list[GraphDot]:
        """One per node, in graph order: parents first, ties by file, a cycle last."""
    @property
    def edges(self) -> list[str]:
        """SVG path data of each parent → child edge."""
    @property
    def width(self) -> int:
        """Width of the lanes: the labels start right of it."""
    @property
    def height(self) -> int: ...

def graph_layout(nodes: list[GraphNode]) -> GraphLayout:
    """Rows, lanes and edges of the revision graph."""

# -- skip and severity (src/bindings/scan.rs) ---------------------------------------------

def skipped_revisions(keys: list[str], revisions: list[str]) -> dict[str, str]:
    """{revision: skip key} for each revision a key names: its exact id or a unique prefix."""

def custom_severity(
    overrides: dict[str, str], pattern: str
) -> Literal["error", "warning", "off"] | None:
    """The severity_overrides value for a custom check's finding of ``pattern``, or None."""

# -- dynamic rollback engine (src/bindings/engine.rs) ------------------------------------

@final
class Schema:
    """A schema snapshot."""

    @property
    def tables(self) -> list[str]: ...
    def diff(self, actual: Schema, moment: Literal["rollback", "reupgrade"]) -> list[Failure]: ...
    def created_or_changed(self, before: Schema) -> list[str]: ...
    def to_json(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Fingerprint:
    """Hashes of every row of every table at one moment."""

    def compare(
        self, after: Fingerprint, ignore: Fingerprint | None = None
    ) -> list[RowProblem]: ...
    def added_since(self, before: Fingerprint) -> Fingerprint: ...
    def row_count(self, table: str) -> int: ...
    @property
    def total_rows(self) -> int: ...
    @property
    def tables(self) -> list[str]: ...

@final
class RowProblem:
    """One difference in the rows after a rollback; ``str()`` is its sentence."""

    @property
    def kind(self) -> str:
        """``table_missing``, ``rows_lost``, ``rows_lost_or_changed``, ``values_changed``,
        ``keys_renumbered`` or ``rows_leaked``."""
    @property
    def table(self) -> str: ...
    @property
    def loses_data(self) -> bool: ...
    @property
    def text(self) -> str: ...

@final
class Unseeded:
    """A table the seeder could not fill with the rows asked for."""

    @property
    def table(self) -> str: ...
    @property
    def constraint(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def snippet(self) -> str: ...

@final
class SeedOutcome:
    """What one `Engine.seed` round did."""

    @property
    def warnings(self) -> list[str]: ...
    @property
    def unseeded(self) -> list[Unseeded]: ...
    @property
    def unmatchable(self) -> dict[str, str]:
        """Tables of ``matching`` where no row the statement matches could be seeded → the
        clause that says why."""

@final
class UnmatchedWrite:
    """A table whose every UPDATE or DELETE in the upgrade matched no row."""

    @property
    def table(self) -> str: ...
    @property
    def verb(self) -> str:
        """``UPDATE``, ``DELETE``, ``UPDATE and DELETE`` or ``DELETE and UPDATE``."""
    @property
    def statement(self) -> str: ...
    @property
    def matching(self) -> list[str]:
        """Rows the statements' WHEREs match, as ``name = 'x'``."""
    @property
    def why(self) -> str | None:
        """Why no such row could be made, when none could."""
    @property
    def reads(self) -> list[str]:
        """When none could: the names the statements read rows from besides the table (a
        subquery's, a WITH query's), tables or not."""
    def seeded_note(self) -> str: ...

# -- the verdict on one revision (src/bindings/outcome.rs) -------------------------------

_FailureKind = Literal["rollback_failed", "data_lost", "schema_drift"]
_Status = Literal["passed", "failed", "upgrade_fails_on_data", "unverified", "blocked", "skipped"]

RESULT_KEYS: list[str]
"""The keys of `RevisionResult.to_dict`, in order."""

@final
class Failure:
    """One thing wrong with a revision, as data; ``str()`` is its sentence."""

    @staticmethod
    def step_failed(step: str, reason: str, on_empty: bool | None = None) -> Failure: ...
    @staticmethod
    def blocked(ancestor: str, reason: str) -> Failure: ...
    @staticmethod
    def not_checked(revision: str, step: str, reason: str) -> Failure: ...
    @staticmethod
    def fails_on_data(
        reason: str,
        statement: str | None = None,
        error_table: str | None = None,
        touched_with_rows: list[str] = ...,
        held: list[str] = ...,
    ) -> Failure: ...
    @staticmethod
    def unverified(table: str, refused: Unseeded | None = None) -> Failure: ...
    @staticmethod
    def unexercised(
        table: str,
        verb: str,
        statement: str,
        rows: int,
        why: str | None = None,
        seeded: list[str] = ...,
        reads: list[str] = ...,
    ) -> Failure: ...
    @property
    def what(
        self,
    ) -> Literal[
        "step_failed",
        "blocked",
        "not_checked",
        "schema",
        "rows",
        "fails_on_data",
        "unverified",
        "unexercised",
        "line",
    ]: ...
    @property
    def kind(self) -> _FailureKind | None: ...
    @property
    def tables(self) -> list[str]: ...
    @property
    def subject(
        self,
    ) -> (
        Literal[
            "table", "column", "view", "enum", "sequence", "index", "unique", "check", "foreign_key"
        ]
        | None
    ): ...
    @property
    def name(self) -> str | None: ...
    @property
    def column(self) -> str | None: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class RevisionResult:
    """The rollback verdict for one revision."""

    revision: str
    passed: bool
    skipped: bool
    skip_reason: str
    duration_s: float
    warnings: list[str]
    coverage: dict[str, int]
    def __new__(
        cls,
        revision: str,
        passed: bool,
        skipped: bool = False,
        skip_reason: str = "",
        failures: list[str | Failure | RowProblem] | None = None,
        down_revision: str | tuple[str, ...] | list[str] | None = None,
        duration_s: float = 0.0,
        warnings: list[str] | None = None,
        status: _Status | None = None,
        coverage: dict[str, int] | None = None,
        failure_kind: _FailureKind | None = None,
    ) -> RevisionResult: ...
    @property
    def failures(self) -> list[str]:
        """The failure lines: the same list each time (as `warnings` and `coverage` are), and
        what is appended to it, removed or replaced counts."""
    @failures.setter
    def failures(self, value: list[str | Failure | RowProblem]) -> None: ...
    @property
    def problems(self) -> list[Failure]: ...
    @property
    def down_revision(self) -> str | tuple[str, ...] | None: ...
    @down_revision.setter
    def down_revision(self, value: str | tuple[str, ...] | list[str] | None) -> None: ...
    @property
    def status(self) -> _Status: ...
    @status.setter
    def status(self, value: _Status) -> None: ...
    @property
    def failure_kind(self) -> _FailureKind | None: ...
    @failure_kind.setter
    def failure_kind(self, value: _FailureKind | None) -> None: ...
    @property
    def risk_score(self) -> int: ...
    def add(self, failure: str | Failure | RowProblem) -> None: ...
    def found(self, kind: _FailureKind) -> None: ...
    def fail_rollback(self) -> None: ...
    def conclude(self, unverified: list[Failure]) -> None: ...
    def settle(self, allow_unverified: bool) -> None: ...
    def failure_summary(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_dict(item: object) -> RevisionResult:
        """A result as `to_dict` saved it; ValueError when ``item`` cannot be one."""
    def __eq__(self, other: object, /) -> bool: ...

def results_json(results: list[RevisionResult]) -> str:
    """The results file: the `to_dict` objects as Python's ``json.dumps(indent=2)`` wrote them."""

@final
class DbObject:
    """One database object; ordered, compared and hashed by its fields in this order."""

    def __new__(cls, kind: str, schema: str, name: str, table: str = ...) -> DbObject: ...
    @property
    def kind(self) -> str: ...
    @property
    def schema(self) -> str: ...
    @property
    def name(self) -> str:
        """Functions carry their argument types: ``f(integer, text)``."""
    @property
    def table(self) -> str:
        """A trigger's table, else empty."""
    def shown(self, dialect: str) -> str:
        """How the guard's lines name it: ``'accounts'`` (a table), ``view reporting.totals``,
        ``trigger audit on accounts``; the schema only when it is not the default one."""
    def __lt__(self, value: DbObject, /) -> bool: ...
    def __le__(self, value: DbObject, /) -> bool: ...
    def __gt__(self, value: DbObject, /) -> bool: ...
    def __ge__(self, value: DbObject, /) -> bool: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RecordedRun:
    """One run recorded in the marker table."""

    @property
    def run(self) -> str: ...
    @property
    def pid(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def before(self) -> list[DbObject]:
        """The objects that were there before the run."""

@final
class Engine:
    """One connection to the test database (its own driver, not SQLAlchemy's)."""

    def __new__(cls, url: str, ignore: list[str] = ..., timeout: float | None = None) -> Engine:
        """``timeout`` (seconds) bounds each of the engine's statements on the server."""
    @property
    def dialect(self) -> str: ...
    @property
    def url(self) -> str: ...
    def ignore_table(self, table: str) -> None: ...
    def snapshot(self) -> Schema: ...
    def fingerprint(self, schema: Schema, tables: list[str] | None = None) -> Fingerprint: ...
    def seed(
        self,
        schema: Schema,
        tables: list[str],
        rows: int,
        salt: int,
        custom: dict[str, list[dict[str, Any]]] | None = None,
        matching: list[UnmatchedWrite] = ...,
    ) -> SeedOutcome: ...
    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None: ...
    def inventory(self) -> list[DbObject]:
        """Every object the user can see, of every kind and in every schema, sorted; the
        marker table ``_mrt_run`` is left out."""
    def tables_holding_rows(self, objects: list[DbObject]) -> list[DbObject]:
        """The tables among ``objects`` that hold at least one row (unreadable: counted)."""
    def drop_objects(self, objects: list[DbObject]) -> list[str]:
        """Drop exactly ``objects`` (no CASCADE); one line per object that could not go."""
    def recorded_runs(self) -> list[RecordedRun]:
        """The runs in the marker table."""
    def record_run(self, run: str, pid: int, host: str, before: list[DbObject]) -> None:
        """Record a run in the marker table (created when missing)."""
    def forget_run(self, run: str) -> None:
        """Remove a run from the marker table; drop the table once it is empty."""
    def wipe(self, keep: list[str]) -> None: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...

def cancel_backend(url: str, backend_id: int, timeout: float | None = None) -> bool:
    """Cancel what server connection ``backend_id`` runs (``pg_cancel_backend`` / ``KILL
    QUERY``, from a new connection); False when the server did not answer within ``timeout``."""

def redact_url(text: str) -> str: ...
def driver_extra(url: str) -> str | None:
    """The pytest-mrt extra whose driver the URL's dialect needs (``postgres``, ``mysql``);
    None for SQLite and for dialects pytest-mrt does not drive."""

@final
class SentStatement:
    """One statement the upgrade sent: its text, its parameters (a list for positional
    markers, a dict for named ones, None when not known) and the driver's row count
    (negative: unknown)."""

    def __new__(
        cls, statement: str, params: list[Any] | dict[str, Any] | None, rows: int
    ) -> SentStatement: ...
    @property
    def statement(self) -> str: ...
    @property
    def rows(self) -> int: ...

def unmatched_writes(
    sent: list[SentStatement], ignore: list[str], seed_rows: int
) -> list[UnmatchedWrite]:
    """The tables whose every UPDATE or DELETE matched no row, among the statements sent (a
    row count not known counts as a match); statements on ``ignore`` tables do not count. Each
    statement gives at most ``seed_rows - 1`` matching rows."""

def remember_url(url: str) -> None: ...
def sqlite_library_shared() -> bool:
    """Whether Python's ``sqlite3`` module runs on the engine's own SQLite library."""

# -- what a failed step is blamed on (src/bindings/suspects.rs) ---------------------------

def table_of_error(named: str | None, message: str, statement: str | None = None) -> str | None:
    """The table a failed step names: ``named`` (the driver's diagnostics), else the
    database's ``message``, else the ``statement`` it refused (``_alembic_tmp_t`` is ``t``)."""

def tables_named_in_strings(path: str | os.PathLike[str], tables: list[str]) -> list[str]:
    """The ``tables`` a string of the migration file names outside ``downgrade()``."""

# -- mrt fix / mrt explain (src/bindings/fix.rs) -----------------------------------------

def read_source(path: str | os.PathLike[str]) -> bytes:
    """A migration file's bytes: a regular file of at most 10 MB, else `UsageError`."""

def missing_lines(old: str, new: str, line: int) -> list[str]:
    """The lines of the generated downgrade in ``new`` that the existing one in ``old`` lacks
    (whole statements compared by syntax tree, a ``with`` header, comments)."""

@final
class FixOutcome:
    """What `mrt fix` proposes for one file."""

    @property
    def status(self) -> Literal["missing", "noop", "replace", "nothing"]: ...
    @property
    def new_source(self) -> str:
        """The whole file with the proposed downgrade."""
    @property
    def message(self) -> str:
        """One line saying what was done."""
    @property
    def existing_line(self) -> int | None:
        """Where the downgrade that already has code starts (``replace``)."""

def fix_source(path: str, source: str) -> FixOutcome:
    """Propose the downgrade for one Alembic file's text."""

def explain_source(path: str, source: str, overrides: dict[str, str] | None = None) -> str:
    """A plain-English account of one migration's text: steps, data at risk, verdict;
    ``overrides`` are ``severity_overrides`` (rule code or pattern → severity)."""

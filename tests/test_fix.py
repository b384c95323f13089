"""`mrt fix`: the generated downgrade passes `mrt check` for the rules it addresses and
survives a real Alembic upgrade → downgrade → upgrade on SQLite and PostgreSQL; `--apply`
preserves every other byte; refusals and bad input change nothing."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_mrt.runner import AlembicRunner

from .cli import run_mrt

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "fix"
BLOG = ROOT / "examples" / "blog"
BLOG_VERSIONS = BLOG / "migrations" / "versions"

# fixture → the rules `mrt check` reports before the fix (missing / no-op downgrade).
ADDRESSED = {
    "add_column": {"MRT006"},
    "create_table": {"MRT005"},
    "rename": {"MRT005"},
    "alter_column": {"MRT005"},
    "constraints": {"MRT005"},
    "raw_sql": {"MRT006"},
    "primary_key": {"MRT005"},
}
# After the fix no error may remain: that includes create-not-reversed (MRT008),
# rename-not-reversed (MRT009) and not-null-not-restored (MRT029, a warning) for what the
# downgrade now undoes. Warnings about how upgrade() itself runs (locks) may stay.
NEVER_AFTER = {"MRT005", "MRT006", "MRT008", "MRT009", "MRT029"}


def mrt(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return run_mrt(*args, **kwargs)


def findings(path: Path) -> list[dict[str, Any]]:
    """`mrt check` on the file's folder (so its parent revision is found), for this file."""
    result = mrt("check", "--format", "json", str(path.parent))
    assert result.returncode in (0, 1), result.stderr
    found = [f for f in json.loads(result.stdout) if Path(f["file"]).name == path.name]
    assert all(f["rule"] != "MRT061" for f in found)  # the parent was seen
    return found


def codes(path: Path) -> set[str]:
    return {f["rule"] for f in findings(path)}


def project(tmp_path: Path, *fixtures: str) -> Path:
    """A small Alembic project: examples/blog's env.py and alembic.ini, base0 + fixtures."""
    root = tmp_path / "proj"
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    shutil.copy(BLOG / "alembic.ini", root / "alembic.ini")
    shutil.copy(BLOG / "migrations" / "env.py", root / "migrations" / "env.py")
    shutil.copy(BLOG / "migrations" / "script.py.mako", root / "migrations" / "script.py.mako")
    shutil.copy(FIXTURES / "base.py", versions / "base.py")
    for name in fixtures:
        shutil.copy(FIXTURES / f"{name}.py", versions / f"{name}.py")
    return root


def schema(url: str) -> dict[str, Any]:
    """Tables, columns (type, nullability, default), indexes and constraints, by name."""
    engine = sa.create_engine(url)
    try:
        insp = sa.inspect(engine)
        out: dict[str, Any] = {}
        for table in sorted(t for t in insp.get_table_names() if t != "alembic_version"):
            out[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in insp.get_columns(table)
                ],
                "indexes": sorted(i["name"] or "" for i in insp.get_indexes(table)),
                "unique": sorted(u["name"] or "" for u in insp.get_unique_constraints(table)),
                "fks": sorted(f["name"] or "" for f in insp.get_foreign_keys(table)),
                "checks": sorted(c["name"] or "" for c in insp.get_check_constraints(table)),
            }
        return out
    finally:
        engine.dispose()


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY id")]
                for t in ("users", "posts")
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("fixture", sorted(ADDRESSED))
def test_generated_downgrade_passes_check_and_round_trips(
    tmp_path: Path, make_db: Callable[[str], str], fixture: str, dialect: str
) -> None:
    root = project(tmp_path, fixture)
    target = root / "migrations" / "versions" / f"{fixture}.py"
    before = codes(target)
    assert ADDRESSED[fixture] <= before, before

    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    label = target.as_posix().lstrip("/")
    assert result.stdout.startswith(f"--- a/{label}\n+++ b/{label}\n")
    assert "mrt: wrote" in result.stderr
    after = findings(target)
    assert not ({f["rule"] for f in after} & NEVER_AFTER), after
    assert [f for f in after if f["severity"] == "error"] == []
    assert "# mrt fix:" not in target.read_text()

    url = make_db(dialect)
    runner = AlembicRunner(root / "alembic.ini", url)
    try:
        runner.upgrade("base0")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@example.com')"
            )
            conn.exec_driver_sql("INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')")
        engine.dispose()
        at_base, data = schema(url), rows(url)
        runner.upgrade("head")
        upgraded = schema(url)
        assert upgraded != at_base  # the fixture really changes something
        runner.downgrade("base0")
        assert schema(url) == at_base
        assert rows(url) == data
        runner.upgrade("head")
        assert schema(url) == upgraded
    finally:
        runner.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_what_upgrade_does_not_say_comes_from_the_chain(
    tmp_path: Path, make_db: Callable[[str], str], dialect: str
) -> None:
    """The old type of an altered column and the definition of a dropped one are read from
    the revision that created them; the downgrade then restores the schema exactly."""
    root = project(tmp_path, "from_chain")
    target = root / "migrations" / "versions" / "from_chain.py"
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert "type_=sa.String(100)" in text and "existing_type=sa.Text()" in text
    assert 'op.add_column("users", sa.Column("email", sa.String(200), nullable=True))' in text
    assert "NOT REVERSIBLE" in text  # the e-mail addresses themselves stay lost

    url = make_db(dialect)
    runner = AlembicRunner(root / "alembic.ini", url)
    try:
        runner.upgrade("base0")
        at_base = schema(url)
        runner.upgrade("head")
        runner.downgrade("base0")
        assert schema(url) == at_base
        runner.upgrade("head")
    finally:
        runner.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_dropped_table_index_and_column_come_back_from_the_chain(
    tmp_path: Path, make_db: Callable[[str], str], dialect: str
) -> None:
    """mlflow's shape: the upgrade drops an index, a table with a foreign key and a composite
    key, a column with a server default, and changes a type, stating none of them. The fix
    re-creates them from the replayed state, and the real downgrade restores the schema."""
    root = project(tmp_path, "registry", "drop_registry")
    target = root / "migrations" / "versions" / "drop_registry.py"
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert "op.create_table(" in text and 'name="model_version_pk"' in text
    assert 'sa.ForeignKey("registered_models.name", name="fk_model_versions_name")' in text
    assert 'op.create_index("ix_model_versions_status", "model_versions", ["status"])' in text
    assert 'sa.Column("stage", sa.String(20), nullable=False, server_default="None")' in text
    assert "type_=sa.String(5000)" in text
    assert "TODO" not in text  # the state knew everything this upgrade drops
    # What stays is the data the drops lose, never a downgrade that leaves the schema wrong.
    errors = {(f["pattern"], f["rule"]) for f in findings(target) if f["severity"] == "error"}
    assert {pattern for pattern, _ in errors} <= {"DROP TABLE", "DROP COLUMN"}, errors

    url = make_db(dialect)
    runner = AlembicRunner(root / "alembic.ini", url)
    try:
        runner.upgrade("registry")
        at_parent = schema(url)
        runner.upgrade("head")
        assert schema(url) != at_parent
        runner.downgrade("registry")
        assert schema(url) == at_parent
        runner.upgrade("head")
    finally:
        runner.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_keys_and_renamed_tables_come_back_from_the_state(
    tmp_path: Path, make_db: Callable[[str], str], dialect: str
) -> None:
    """A foreign key, a check and unique indexes declared inside create_table or in raw SQL,
    an index dropped without its table's name and one whose table was renamed: the fix writes
    each from the replayed state, and the real downgrade restores the schema."""
    root = project(tmp_path, "keys", "drop_keys")
    target = root / "migrations" / "versions" / "drop_keys.py"
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert 'sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_tags_user")' in text
    assert 'sa.CheckConstraint("length(key) > 0", name="ck_tags_key")' in text
    assert 'op.create_index("ix_tags_key", "tags", ["key"], unique=True)' in text
    assert 'op.create_index("ix_tags_post", "tags", ["post_id", "key"], unique=True)' in text
    assert 'op.create_index("ix_labels_name", "label_names", ["name"])' in text
    assert "TODO" not in text

    url = make_db(dialect)
    runner = AlembicRunner(root / "alembic.ini", url)
    try:
        runner.upgrade("keys")
        at_parent = schema(url)
        runner.upgrade("head")
        assert schema(url) != at_parent
        runner.downgrade("keys")
        assert schema(url) == at_parent
        runner.upgrade("head")
    finally:
        runner.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_altered_columns_and_dialect_branches_come_back_as_the_state_has_them(
    tmp_path: Path, make_db: Callable[[str], str], dialect: str
) -> None:
    """The type an earlier revision gave a column wins over a stale existing_type; a column
    altered and renamed since it was created comes back with its current name, type and
    default; each dialect's branch of the upgrade is undone in the same branch."""
    root = project(tmp_path, "alter_chain", "drop_altered")
    target = root / "migrations" / "versions" / "drop_altered.py"
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    down = target.read_text().split("def downgrade")[1]
    assert "type_=sa.String(150)" in down and "type_=sa.String(100)" not in down
    assert 'sa.Column("headline", sa.String(100), nullable=True, server_default="untitled")' in down
    assert 'if op.get_context().dialect.name == "sqlite":' in down
    assert 'if op.get_context().dialect.name != "sqlite":' in down

    url = make_db(dialect)
    runner = AlembicRunner(root / "alembic.ini", url)
    try:
        runner.upgrade("alter_chain")
        at_parent = schema(url)
        runner.upgrade("head")
        assert schema(url) != at_parent
        runner.downgrade("alter_chain")
        assert schema(url) == at_parent
        runner.upgrade("head")
    finally:
        runner.dispose()


def test_without_its_chain_fix_says_what_it_cannot_know(tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(FIXTURES / "from_chain.py", alone / "from_chain.py")
    result = mrt("fix", str(alone / "from_chain.py"))
    assert result.returncode == 0, result.stderr
    assert "upgrade() does not say what it was" in result.stdout
    assert 'sa.Column("email", ..., nullable=True)' in result.stdout


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_concurrent_index_is_dropped_inside_an_autocommit_block(
    tmp_path: Path, make_db: Callable[[str], str], dialect: str
) -> None:
    # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction: the inverse must stay in
    # autocommit_block(), and the in-process runner must leave env.py's transaction to Alembic
    # so that the block can commit it.
    root = project(tmp_path, "concurrent_index")
    target = root / "migrations" / "versions" / "concurrent_index.py"
    assert "MRT006" in codes(target)
    assert mrt("fix", "--apply", str(target)).returncode == 0
    down = target.read_text().split("def downgrade() -> None:\n", 1)[1]
    assert down.startswith(
        "    with op.get_context().autocommit_block():\n        op.drop_index(\n"
    )
    assert "postgresql_concurrently=True," in down and "if_exists=True," in down
    assert not codes(target) & NEVER_AFTER

    url = make_db(dialect)
    runner = AlembicRunner(root / "alembic.ini", url)
    try:
        runner.upgrade("base0")
        at_base = schema(url)
        runner.upgrade("head")
        assert "ix_users_email" in schema(url)["users"]["indexes"]
        runner.downgrade("base0")
        assert schema(url) == at_base
        runner.upgrade("head")
        assert "ix_users_email" in schema(url)["users"]["indexes"]
    finally:
        runner.dispose()


def test_irreversible_operations_become_marked_comments(tmp_path: Path) -> None:
    target = project(tmp_path, "irreversible") / "migrations" / "versions" / "irreversible.py"
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    down = text[text.index("def downgrade") :]
    marked = [ln.strip() for ln in down.splitlines() if ln.strip().startswith("# mrt fix:")]
    assert all(len(line) <= 100 for line in down.splitlines())
    prose = " ".join(line.removeprefix("# mrt fix:").strip() for line in marked)
    assert 'NOT REVERSIBLE: op.drop_column("users", "email")' in prose
    assert "users.email and every value in it; no downgrade can bring the values back" in prose
    assert 'NOT REVERSIBLE: op.drop_table("posts")' in prose
    assert "NOT REVERSIBLE: SQL: UPDATE users SET name = UPPER(name)" in prose
    assert "the previous values are not kept anywhere" in prose
    # The one reversible step is undone for real, in code.
    assert '    op.drop_column("users", "nick")\n' in down
    assert "3 cannot be undone" in result.stderr
    # No pretending: the scanner still reports the data loss.
    assert {"MRT001", "MRT002"} <= codes(target)


def test_missing_downgrade_is_appended_after_every_original_byte(tmp_path: Path) -> None:
    target = tmp_path / "add_column.py"
    original = (FIXTURES / "add_column.py").read_bytes()
    target.write_bytes(original)
    assert mrt("fix", "--apply", str(target)).returncode == 0
    new = target.read_bytes()
    assert new.startswith(original)
    assert new[len(original) :] == (
        b"\n\ndef downgrade() -> None:\n"
        b'    op.drop_index("ix_users_phone", table_name="users")\n'
        b'    op.drop_column("users", "phone")\n'
    )


def test_noop_downgrade_body_is_the_only_change(tmp_path: Path) -> None:
    target = tmp_path / "create_table.py"
    original = (FIXTURES / "create_table.py").read_bytes()
    target.write_bytes(original)
    assert mrt("fix", "--apply", str(target)).returncode == 0
    new = target.read_bytes()
    head = original[
        : original.index(b"def downgrade() -> None:") + len(b"def downgrade() -> None:")
    ]
    tail = original[original.index(b'"""Nothing yet."""') + len(b'"""Nothing yet."""') :]
    assert tail.endswith(b"HELPER_CONSTANT = 42\n")
    body = (
        b'\n    op.drop_index(op.f("ix_tags_label"), table_name="tags")\n    op.drop_table("tags")'
    )
    assert new == head + body + tail


@pytest.mark.parametrize("fixture", ["add_column", "create_table", "alter_column"])
def test_crlf_file_keeps_crlf_and_every_other_byte(tmp_path: Path, fixture: str) -> None:
    lf = (FIXTURES / f"{fixture}.py").read_bytes()
    crlf = lf.replace(b"\n", b"\r\n")
    target = tmp_path / f"{fixture}.py"
    target.write_bytes(crlf)
    assert mrt("fix", "--apply", str(target)).returncode == 0
    new = target.read_bytes()
    assert new.count(b"\n") == new.count(b"\r\n")  # no bare LF slipped in
    # The same result as the LF file, line ending aside.
    lf_target = tmp_path / f"lf_{fixture}.py"
    lf_target.write_bytes(lf)
    assert mrt("fix", "--apply", str(lf_target)).returncode == 0
    assert new == lf_target.read_bytes().replace(b"\n", b"\r\n")
    # Everything before the downgrade is untouched.
    cut = crlf.find(b"def downgrade")
    prefix = crlf[:cut] if cut >= 0 else crlf
    assert new.startswith(prefix)


def test_bom_is_kept(tmp_path: Path) -> None:
    lf = (FIXTURES / "add_column.py").read_bytes()
    target, plain = tmp_path / "bom.py", tmp_path / "plain.py"
    target.write_bytes(b"\xef\xbb\xbf" + lf)
    plain.write_bytes(lf)
    assert mrt("fix", "--apply", str(target)).returncode == 0
    assert mrt("fix", "--apply", str(plain)).returncode == 0
    assert target.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()


def test_tab_indented_file_gets_tabs(tmp_path: Path) -> None:
    target = tmp_path / "tabs.py"
    target.write_text(
        'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "t1"\n'
        "down_revision = None\n\n\ndef upgrade():\n"
        '\top.create_table("t", sa.Column("id", sa.Integer, primary_key=True))\n\n\n'
        "def downgrade():\n\tpass\n"
    )
    assert mrt("fix", "--apply", str(target)).returncode == 0
    assert target.read_text().endswith('def downgrade():\n\top.drop_table("t")\n')


def test_never_proposes_removing_a_working_downgrade(tmp_path: Path) -> None:
    target = tmp_path / "004_drop_users_phone.py"
    shutil.copy(BLOG_VERSIONS / "004_drop_users_phone.py", target)
    original = target.read_bytes()
    for args in (("fix", str(target)), ("fix", "--apply", str(target))):
        result = mrt(*args)
        assert result.returncode == 0, result.stderr
        assert target.read_bytes() == original
        # No diff, and above all no line of the existing downgrade marked for removal.
        assert "\n-" not in result.stdout and not result.stdout.startswith("-")
        assert "@@" not in result.stdout
        assert "downgrade() at line 20 already has code; mrt fix never rewrites it" in (
            result.stdout
        )
        assert "Nothing to add" in result.stdout
        assert "NOT REVERSIBLE" in result.stdout  # what it would only note


def test_lists_what_an_existing_downgrade_misses(tmp_path: Path) -> None:
    target = tmp_path / "010_two_tables.py"
    target.write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        'revision = "010"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))\n\n\n'
        'def downgrade():\n    op.drop_table("b")\n'
    )
    original = target.read_bytes()
    result = mrt("fix", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == original
    assert 'op.drop_table("a")' in result.stdout
    assert 'op.drop_table("b")' not in result.stdout
    assert "@@" not in result.stdout


def test_listing_compares_statements_and_never_cuts_one(tmp_path: Path) -> None:
    # The existing downgrade writes one step over several lines (the generated one is on one
    # line), and its lines `)` and `with ...:` also occur in steps it lacks: those are listed
    # whole, inside their `with` block. A block whose every step is there is not listed.
    fk = "fk_events_to_the_owning_account_with_a_name_long_enough_to_wrap"
    target = tmp_path / "011_keys.py"
    target.write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        'revision = "011"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_index("ix_events_at", "events", ["at"])\n'
        f'    op.create_foreign_key("{fk}", "events", "accounts", ["account_id"], ["id"])\n'
        '    with op.batch_alter_table("events") as batch_op:\n'
        '        batch_op.add_column(sa.Column("a", sa.Integer()))\n'
        '        batch_op.add_column(sa.Column("b", sa.Integer()))\n'
        '    with op.batch_alter_table("accounts") as batch_op:\n'
        '        batch_op.add_column(sa.Column("c", sa.Integer()))\n\n\n'
        "def downgrade():\n"
        '    with op.batch_alter_table("accounts") as batch_op:\n'
        '        batch_op.drop_column("c")\n'
        '        batch_op.drop_column("d")\n'
        '    with op.batch_alter_table("events") as batch_op:\n'
        '        batch_op.drop_column("b")\n'
        "    op.drop_index(\n"
        "        'ix_events_at',\n"
        '        table_name="events",\n'
        "    )\n"
    )
    result = mrt("fix", str(target))
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("(compare and add what applies):\n", 1)[1]
    assert listed == (
        '    with op.batch_alter_table("events") as batch_op:\n'
        '        batch_op.drop_column("a")\n'
        "    op.drop_constraint(\n"
        f'        "{fk}",\n'
        '        "events",\n'
        '        type_="foreignkey",\n'
        "    )\n"
    )


def test_nothing_to_fix(tmp_path: Path) -> None:
    target = tmp_path / "001.py"
    shutil.copy(BLOG_VERSIONS / "001_create_users_and_posts.py", target)
    original = target.read_bytes()
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0
    assert "nothing to fix: downgrade() already undoes upgrade()" in result.stdout
    assert target.read_bytes() == original


def test_proposal_reproduces_blog_005_fix(tmp_path: Path) -> None:
    result = mrt("fix", str(BLOG_VERSIONS / "005_create_tags.py"))
    assert result.returncode == 0
    assert '-    pass\n+    op.drop_table("tags")\n' in result.stdout


BAD_INPUT = {
    "missing": (None, "no such file"),
    "not_a_migration": (b"x = 1\n", "not an Alembic or Django migration"),
    "syntax_error": (b'revision = "a"\ndef upgrade(:\n    pass\n', "syntax error"),
    "not_utf8": (b'revision = "\xff"\ndef upgrade():\n    pass\n', "not UTF-8"),
    "django": (
        b"from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        b"    operations = [migrations.RemoveField('book', 'isbn')]\n",
        "Django migration",
    ),
}


@pytest.mark.parametrize("apply", [False, True])
@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_nothing_modified(
    tmp_path: Path, case: str, apply: bool
) -> None:
    content, expected = BAD_INPUT[case]
    target = tmp_path / f"{case}.py"
    if content is not None:
        target.write_bytes(content)
    result = mrt("fix", *(["--apply"] if apply else []), str(target))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mrt: error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    if content is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if content is None else [target.name])


def _no_file_growth() -> None:
    # The child may not write a single byte to any file (RLIMIT_FSIZE 0): even root cannot.
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_unwritable_file_with_apply(tmp_path: Path) -> None:
    target = tmp_path / "add_column.py"
    shutil.copy(FIXTURES / "add_column.py", target)
    original = target.read_bytes()
    result = mrt("fix", "--apply", str(target), preexec_fn=_no_file_growth)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mrt: error: {target}: cannot write"), lines
    assert target.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp file left behind


def test_directory_argument(tmp_path: Path) -> None:
    result = mrt("fix", "--apply", str(tmp_path))
    assert result.returncode == 2
    assert "is a directory" in result.stderr

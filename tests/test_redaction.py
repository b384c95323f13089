"""No password reaches the output. Real runs with a URL holding a unique secret, and every
channel grepped for it: console (``-v``, long tracebacks with locals), JUnit XML, the JSON
results and the HTML report. The table of hostile URLs lives in Rust (``src/url.rs``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pytest_mrt import _core
from sqlalchemy.engine import make_url

# Written by the test module copied into the project: the fixture's JSON and HTML outputs.
OUTPUTS_TEST = """
def test_outputs(mrt):
    import os
    mrt.check_all()
    mrt.write_results(os.path.join({out!r}, "results.json"))
    mrt.write_report(os.path.join({out!r}, "report.html"))
"""


def _secret() -> tuple[str, str]:
    """(a unique token, a password around it with every character that broke masking)."""
    token = f"Zq{uuid.uuid4().hex[:10]}"
    return token, f"PWB1/{token} :#%25x\tPWB2"


def _all_output(result: pytest.RunResult, folder: Path) -> str:
    texts = [*result.outlines, *result.errlines]
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".xml", ".json", ".html", ".txt", ".log"}:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def _run(pytester: pytest.Pytester, url: str, out: Path) -> pytest.RunResult:
    pytester.copy_example("blog")
    pytester.makepyfile(test_outputs=OUTPUTS_TEST.format(out=str(out)))
    return pytester.runpytest_subprocess(
        "--mrt",
        f"--mrt-db-url={url}",
        "-v",
        "-rA",
        "--tb=long",
        "--showlocals",
        f"--junitxml={out / 'junit.xml'}",
        "-p",
        "no:cacheprovider",
    )


def test_a_working_run_never_shows_the_password(
    pytester: pytest.Pytester, make_db: object, tmp_path: Path
) -> None:
    # PostgreSQL trusts local connections, so the run works whatever the password is.
    token, password = _secret()
    db = make_url(make_db("postgresql"))  # type: ignore[operator]
    url = f"postgresql+psycopg2://postgres:{password}@{db.host}:{db.port}/{db.database}"
    result = _run(pytester, url, tmp_path)
    text = _all_output(result, tmp_path)
    assert (tmp_path / "results.json").is_file(), text[-3000:]
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "junit.xml").is_file()
    assert "test_migration[004]" in text  # the run did happen
    assert token not in text
    assert "PWB1" not in text and "PWB2" not in text


@pytest.mark.parametrize(
    "template",
    [
        # S1: the password holds '/', the port is not a number (an invalid URL).
        "postgresql+psycopg2://postgres:{password}@127.0.0.1:notaport/probe_pw",
        # Unreachable server.
        "postgresql+psycopg2://postgres:{password}@127.0.0.1:1/probe_pw",
        # S3: '@' in the user name (Azure) and in the password.
        "postgresql://pg@srv:{password}@127.0.0.1:1/probe_pw",
        "mysql+pymysql://root:a@{password}@127.0.0.1:1/probe_pw",
        # A secret in the query string.
        "postgresql://postgres@127.0.0.1:1/probe_pw?sslpassword={password}",
    ],
)
def test_a_failing_run_never_shows_the_password(
    pytester: pytest.Pytester, tmp_path: Path, template: str
) -> None:
    token, password = _secret()
    result = _run(pytester, template.format(password=password), tmp_path)
    text = _all_output(result, tmp_path)
    assert result.ret != 0
    assert "mrt:" in text  # the failure was reported, in one line
    assert token not in text
    assert "PWB1" not in text and "PWB2" not in text


def test_the_invalid_url_message_names_the_problem_not_the_password() -> None:
    token, password = _secret()
    url = f"postgresql+psycopg2://postgres:{password}@127.0.0.1:notaport/probe_pw"
    with pytest.raises(_core.MRTError) as info:
        _core.Engine(url)
    assert "the port is not a number" in str(info.value)
    assert token not in str(info.value)
    assert _core.redact_url(url) == "postgresql+psycopg2://postgres:***@127.0.0.1:notaport/probe_pw"


def test_python_has_no_redaction_of_its_own() -> None:
    # One implementation, in Rust: the old regex module is gone.
    package = Path(_core.__file__).parent
    assert not (package / "urls.py").exists()
    runner = (package / "runner.py").read_text(encoding="utf-8")
    assert "redact_url" in runner

"""Download the judged out-of-sample projects that PyPI serves, and scan them; asserts nothing.

    .venv/bin/python bench/oos_fetch.py                 # download, extract, scan
    .venv/bin/python bench/oos_precision.py --judged bench/judged_oos.json bench/.cache/oos/scans

The out-of-sample projects that ship their migrations on PyPI (47), pinned here to the
versions that were judged. 36 of them have their errors judged in `judged_oos.json`;
gramps-webapi, ironic, keystone, cinder, aodh, django-allauth, django-filer, optuna,
arize-phoenix, argilla-server and apache-airflow-providers-fab had none to judge, so their
scans are listed and counted nowhere. CTFd, mealie and lemur were judged from
GitHub snapshots, which no script here downloads. `pip download` fetches the wheels into
`bench/.cache/oos/dist`; they are extracted under `bench/.cache/oos/<project>/`, and
`python -m pytest_mrt check --format json` writes one `<project>.json` per project into
`bench/.cache/oos/scans`, named as `judged_oos.json` names the project.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE / ".cache" / "oos"
DIST = ROOT / "dist"
SCANS = ROOT / "scans"

# Project name in judged_oos.json → (pip requirement, "alembic" or "django", sdist only).
PROJECTS: dict[str, tuple[str, str, bool]] = {
    "label_studio": ("label-studio==1.23.2", "django", False),
    "pulpcore": ("pulpcore==3.123.1", "django", False),
    "nautobot": ("nautobot==3.2.7", "django", False),
    "pgadmin4": ("pgadmin4==9.18", "alembic", False),
    "ethyca_fides": ("ethyca-fides==2.78.2", "alembic", False),
    "mailman": ("mailman==3.3.10", "alembic", False),
    "ihatemoney": ("ihatemoney==7.2.1", "alembic", False),
    "privacyidea": ("privacyidea==3.14", "alembic", False),
    "gramps-webapi": ("gramps-webapi==3.24.0", "alembic", True),
    "open_webui": ("open-webui==0.12.4", "alembic", False),
    "langflow_base": ("langflow-base==1.13.0", "alembic", False),
    "ckan": ("ckan==2.12.0", "alembic", False),
    "jupyterhub": ("jupyterhub==6.1.1", "alembic", False),
    "buildbot": ("buildbot==4.3.0", "alembic", False),
    "mage_ai": ("mage-ai==0.9.80", "alembic", False),
    "django_cms": ("django-cms==5.1.3", "django", False),
    "weblate": ("weblate==5.14.3", "django", False),
    "aim": ("aim==3.29.1", "alembic", False),
    "fittrackee": ("fittrackee==1.3.6", "alembic", False),
    "misago": ("misago==0.39.6", "django", False),
    "wger": ("wger==2.1", "django", False),
    # judged_oos10.md: OpenStack's forward-only histories, and four reusable Django apps.
    "neutron": ("neutron==29.0.0", "alembic", False),
    "octavia": ("octavia==19.0.0", "alembic", False),
    "ironic": ("ironic==39.0.0", "alembic", False),
    "keystone": ("keystone==30.0.0", "alembic", False),
    "django_oauth_toolkit": ("django-oauth-toolkit==3.4.1", "django", False),
    "django_celery_beat": ("django-celery-beat==2.9.0", "django", False),
    "django_allauth": ("django-allauth==65.22.1", "django", False),
    "django_filer": ("django-filer==3.6.0", "django", False),
    # judged_oos11.md: more OpenStack histories, and Django projects with long chains.
    "manila": ("manila==23.0.1", "alembic", False),
    "nova": ("nova==34.0.0", "alembic", False),
    "mistral": ("mistral==23.0.0", "alembic", False),
    "tacker": ("tacker==16.0.0", "alembic", False),
    "cinder": ("cinder==29.0.0", "alembic", False),
    "aodh": ("aodh==23.0.0", "alembic", False),
    "pretalx": ("pretalx==2025.2.2", "django", False),
    "pulp_rpm": ("pulp-rpm==3.39.4", "django", False),
    "pulp_container": ("pulp-container==2.30.0", "django", False),
    "galaxy_ng": ("galaxy-ng==4.9.2", "django", False),
    # judged_oos12.md: projects new to the tool, Alembic and Django.
    "optuna": ("optuna==4.6.0", "alembic", False),
    "arize_phoenix": ("arize-phoenix==12.16.0", "alembic", False),
    "argilla_server": ("argilla-server==2.8.0", "alembic", False),
    "airflow_fab": ("apache-airflow-providers-fab==3.0.1", "alembic", False),
    "nbgrader": ("nbgrader==0.9.5", "alembic", False),
    "glance": ("glance==31.0.0", "alembic", False),
    "django_helpdesk": ("django-helpdesk==1.1.0", "django", False),
    "mayan_edms": ("mayan-edms==4.9", "django", False),
}


def archive(requirement: str, sdist: bool) -> Path:
    """The project's wheel (or sdist) in DIST, downloaded if missing."""
    name, version = requirement.split("==")
    stem = name.replace("-", "_")
    pattern = f"{stem}-{version}*.tar.gz" if sdist else f"{stem}-{version}-*.whl"
    found = sorted(DIST.glob(pattern))
    if not found:
        kind = "--no-binary" if sdist else "--only-binary"
        print(f"downloading {requirement} ...", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", kind, ":all:",
             "-d", str(DIST), requirement],
            check=True,
        )  # fmt: skip
        found = sorted(DIST.glob(pattern))
    return found[0]


def extract(project: str, path: Path) -> Path:
    """The project's Python files, extracted once under ROOT/<project>."""
    target = ROOT / project
    if target.exists():
        return target
    target.mkdir(parents=True)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            zf.extractall(target, [m for m in zf.namelist() if m.endswith(".py")])
    else:
        with tarfile.open(path) as tf:
            members = [m for m in tf.getmembers() if m.isfile() and m.name.endswith(".py")]
            tf.extractall(target, members, filter="data")
    return target


def folders(tree: Path, framework: str) -> list[Path]:
    """Alembic: every `versions` folder not inside another. Django: every `migrations`
    folder outside test suites that holds a migration."""
    if framework == "alembic":
        found = [p for p in tree.rglob("versions") if p.is_dir()]
        return sorted(p for p in found if not any(q in p.parents for q in found))
    found = tree.rglob("migrations")
    # An app without migrations still has the package (`__init__.py` alone).
    return sorted(
        p
        for p in found
        if p.is_dir()
        and "tests" not in p.parts
        and any(f.name != "__init__.py" for f in p.glob("*.py"))
    )


def main() -> int:
    DIST.mkdir(parents=True, exist_ok=True)
    SCANS.mkdir(parents=True, exist_ok=True)
    for project, (requirement, framework, sdist) in PROJECTS.items():
        tree = extract(project, archive(requirement, sdist))
        dirs = folders(tree, framework)
        if not dirs:
            print(f"{project}: no migration folder found", file=sys.stderr)
            return 1
        out = SCANS / f"{project}.json"
        with out.open("w") as fh:
            done = subprocess.run(
                [sys.executable, "-m", "pytest_mrt", "check", *map(str, dirs), "--format", "json"],
                stdout=fh,
                check=False,
            )
        if done.returncode not in (0, 1):
            print(f"{project}: mrt check exited {done.returncode}", file=sys.stderr)
            return 1
        print(f"{project}: {len(dirs)} folder(s) scanned into {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

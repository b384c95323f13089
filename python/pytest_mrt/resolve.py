"""Which `MRTConfig` a test gets: every source merged, the command line first (see
`pytest_mrt.config`). Shared by the ``mrt`` fixture (`pytest_mrt.plugin`) and the per-revision
items (`pytest_mrt.items`), so neither imports the other."""

from __future__ import annotations

import pytest

from .config import ConfigError, MRTConfig, merge

PYPROJECT_KEY = pytest.StashKey[MRTConfig | None]()
"""``[tool.mrt]`` of the rootdir's pyproject.toml, read once at configure time."""


def resolve_config(
    config: pytest.Config,
    fixture_config: MRTConfig | None,
    marker: pytest.Mark | None = None,
) -> MRTConfig:
    """Merge every source, the command line first (see `pytest_mrt.config`)."""
    command_line = {
        key: value
        for key, value in (
            ("db_url", config.getoption("mrt_db_url")),
            ("alembic_ini", config.getoption("mrt_alembic_ini")),
        )
        if value is not None
    }
    conftest = getattr(config, "_mrt_config", None)
    if conftest is not None and not isinstance(conftest, MRTConfig):
        raise ConfigError(f"config._mrt_config must be an MRTConfig, got {type(conftest).__name__}")
    if fixture_config is not None and not isinstance(fixture_config, MRTConfig):
        raise ConfigError(
            f"the mrt_config fixture must return an MRTConfig, got {type(fixture_config).__name__}"
        )
    marker_config = (
        MRTConfig.from_mapping(marker.kwargs, "@pytest.mark.mrt")
        if marker and marker.kwargs
        else None
    )
    cli_config = MRTConfig.from_mapping(command_line, "command line") if command_line else None
    return merge(
        cli_config,
        marker_config,
        fixture_config,
        conftest,
        config.stash.get(PYPROJECT_KEY, None),
    )

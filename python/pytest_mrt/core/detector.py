"""Compatibility path: ``from pytest_mrt.core.detector import RiskWarning``."""

from ..models import RiskWarning

__all__ = ["RiskWarning"]

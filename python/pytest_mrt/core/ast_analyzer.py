"""Compatibility path: ``from pytest_mrt.core.ast_analyzer import MigrationAST``."""

from ..models import MigrationAST, Operation

__all__ = ["MigrationAST", "Operation"]

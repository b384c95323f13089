"""Type stubs for the native engine (src/bindings). Checked by mypy.stubtest in CI."""

__version__: str

# -- errors (src/bindings/errors.rs) -----------------------------------------------------

class MRTError(Exception):
    """Base class of every pytest-mrt error."""

class UsageError(MRTError):
    """Bad input: a path, option or value."""

class DatabaseError(MRTError):
    """A database could not be used."""

class SafetyError(MRTError):
    """The run would touch data it did not create."""

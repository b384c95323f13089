"""Database URLs as users may see them: never with a password."""

from __future__ import annotations

import re

# scheme://user:password@host → scheme://user:***@host. Written as a regex rather than with
# SQLAlchemy's URL so that it also works on malformed URLs, the ones that end up in errors.
_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]*)(?P<tail>@)")
_QUERY_PASSWORD = re.compile(r"(?i)(?P<head>[?&](?:password|passwd|pwd)=)(?P<secret>[^&\s]*)")


def redact(text: str) -> str:
    """Mask every password in URLs found anywhere in ``text``."""
    text = _PASSWORD.sub(r"\g<head>***\g<tail>", text)
    return _QUERY_PASSWORD.sub(r"\g<head>***", text)

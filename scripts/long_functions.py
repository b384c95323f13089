"""Issue 11: a function over 80 lines says why.

Clippy's `too_many_lines` (threshold in clippy.toml, warned in Cargo.toml) finds the long
functions; this check makes sure each `#[allow(clippy::too_many_lines)]` in `src/` sits under
a comment whose first line starts with `// long:` (the reason). Exit status 1 lists the others.
"""

from __future__ import annotations

import pathlib
import sys

ALLOW = "#[allow(clippy::too_many_lines)]"


def missing_reasons(root: pathlib.Path) -> list[str]:
    """`file:line` of each allow without a `// long:` comment block directly above it."""
    out = []
    for path in sorted(root.rglob("*.rs")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.strip() != ALLOW:
                continue
            j = i - 1
            while (
                j >= 0
                and lines[j].strip().startswith("//")
                and not lines[j].strip().startswith("///")
            ):
                j -= 1
            block = [lines[k].strip() for k in range(j + 1, i)]
            if not block or not block[0].startswith("// long:"):
                out.append(f"{path}:{i + 1}")
    return out


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    bad = missing_reasons(root)
    for where in bad:
        print(f"{where}: #[allow(clippy::too_many_lines)] without a `// long:` reason above it")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

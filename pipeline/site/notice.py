"""Material for MkDocs' end-of-life notice, kept out of a plain `mkdocs build`.

Material for MkDocs prints a notice about its end of life and MkDocs 2.0 on every
build, as its theme module is imported, unless NO_MKDOCS_2_WARNING is set. Nobody
building the calendar can act on it, and it buries the build's own warnings. mkdocs
loads the theme before any plugin, so the plugin comes too late to set the variable;
mkdocs.yml calls `quiet_material` from `extra:` while it is read, which is early enough.
"""

from __future__ import annotations

import os

VARIABLE = "NO_MKDOCS_2_WARNING"


def quiet_material() -> str:
    """Set NO_MKDOCS_2_WARNING (unless it is set already) and return what it holds."""
    return os.environ.setdefault(VARIABLE, "1")

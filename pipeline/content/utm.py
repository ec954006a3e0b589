"""Campaign parameters of a channel (`utm:` in channels.yml): plain text with `{channel}` and `{post}`.

The values come from channels.yml, which a pull request may change, so they are never
given to `str.format` (where `{post:>100000000}` takes gigabytes and `{post.__class__}`
reads Python's internals): each placeholder is replaced as a plain string, and any other
brace is an error when channels.yml is read.
"""

from __future__ import annotations

import re

#: the placeholders a value may hold, and what each becomes
PLACEHOLDERS = ("channel", "post")
#: the same rule for editors, in channels.schema.json
UTM_PATTERN = r"^(?:[^{}]|\{(?:channel|post)\})*$"
_BRACED = re.compile(r"\{([^{}]*)\}")
_FORMATTED = re.compile(r"^(?:channel|post)\s*[.\[!:]")
WHAT_TO_DO = ("UTM values are plain text in which {channel} and {post} are replaced by the channel id "
              "and the post id; no other braces")


def utm_problem(value: str) -> str | None:
    """What is wrong with one UTM value, with what to write instead; None when it is fine."""
    for match in _BRACED.finditer(value):
        inside = match[1]
        if inside in PLACEHOLDERS:
            continue
        if _FORMATTED.match(inside):
            return f"{match[0]} is not allowed: there is no formatting, no attributes and no indexes; {WHAT_TO_DO}"
        return f"unknown placeholder {match[0]}; {WHAT_TO_DO}"
    rest = _BRACED.sub("", value)
    if "{" in rest:
        return f"a '{{' without its '}}'; {WHAT_TO_DO}"
    if "}" in rest:
        return f"a '}}' without its '{{'; {WHAT_TO_DO}"
    return None


def fill_utm(value: str, *, channel: str, post: str) -> str:
    """`value` with its placeholders replaced; a replacement is never read as a placeholder again."""
    filled = {"channel": channel, "post": post}
    return _BRACED.sub(lambda match: filled.get(match[1], match[0]), value)

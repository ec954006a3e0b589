"""Campaign parameters on links, so teams can see which channel brought a visit."""

from __future__ import annotations

from urllib.parse import quote


def add_utm(url: str, *, source: str, medium: str = "social", campaign: str | None = None,
            extra: dict[str, str] | None = None) -> str:
    """`url` with utm_source/medium/campaign added; parameters already in the URL win.

    The existing query and fragment are kept byte for byte (re-encoding them could
    change what the server sees).
    """
    if not url.startswith(("http://", "https://")):
        return url
    head, hash_mark, fragment = url.partition("#")
    base, _, query = head.partition("?")
    present = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
    wanted = {"utm_source": source, "utm_medium": medium, "utm_campaign": campaign or ""}
    wanted.update(extra or {})
    added = [f"{key}={quote(value, safe='')}" for key, value in wanted.items()
             if value and key not in present]
    if not added:
        return url
    query = "&".join(([query] if query else []) + added)
    return f"{base}?{query}{hash_mark}{fragment}"

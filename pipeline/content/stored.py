"""A post file's reading as plain JSON data, and back: what the validation cache keeps.

`social validate` keeps each post file's reading (the Post and the findings of reading
it) between runs, so that a file whose bytes did not change is not parsed again. The
cache is a file anyone with access to the folder could have written, so it is JSON,
never pickle, and every value read back is checked for its type: a record that does
not hold what a reading makes raises StoredError, and the file is read afresh.

What a record leaves out, because the file's text gives it back cheaply: the body, the
line it starts on and the places of the front matter's keys.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from pipeline.content.model import Media, Override, Post, PostStatus
from pipeline.content.placing import KeyPlacer
from pipeline.errors import Finding

#: Post fields a record does not hold: they come from the file's text (`from_text`)
FROM_TEXT = frozenset({"body", "body_line", "lines"})
#: every other field, in the order records hold them (tests/test_validation_cache.py checks it is all)
STORED = ("id", "file", "title", "publish_at", "queue", "channels", "status", "tags", "link", "media",
          "thread", "language", "content_warning", "overrides", "engagement", "id_from_file", "unread",
          "media_paths")
_LEVELS = frozenset({"error", "warning", "notice"})


class StoredError(ValueError):
    """A record that is not what a reading makes: corrupt, from another version, or made up."""


def post_record(post: Post) -> list:
    """The post's fields as JSON values (see STORED)."""
    return [
        post.id, post.file, post.title,
        post.publish_at.astimezone(UTC).isoformat() if post.publish_at else None,
        post.queue, list(post.channels), post.status.value, list(post.tags), post.link,
        [[m.path, m.alt, m.index, m.width, m.height, m.format, m.bytes] for m in post.media],
        post.thread, post.language, post.content_warning,
        {channel: [o.text, o.content_warning, None if o.tags is None else list(o.tags), o.link, o.thread]
         for channel, o in post.overrides.items()},
        dict(post.engagement), post.id_from_file, sorted(post.unread), list(post.media_paths),
    ]


def post_from_record(record: object, body: str, body_line: int, front: str, front_line: int) -> Post:
    """The Post a record holds, with the body and front matter of the file it was read from.

    Every value is checked for its type (ten thousand records are read in a warm run, so the
    checks are made in bulk: the types of a list's items as one set)."""
    if type(record) is not list or len(record) != len(STORED):
        raise StoredError("not a post record")
    (post_id, file, title, publish_at, queue, channels, status, tags, link, media, thread, language,
     content_warning, overrides, engagement, id_from_file, unread, media_paths) = record
    if not (_STR_TYPES.issuperset(map(type, (post_id, file, thread)))
            and _MAYBE_STR_TYPES.issuperset(map(type, (title, link, language, content_warning, publish_at)))
            and type(queue) is bool and type(id_from_file) is bool
            and _are_texts(channels) and _are_texts(tags) and _are_texts(unread) and _are_texts(media_paths)
            and type(media) is list and type(overrides) is dict and type(engagement) is dict
            and _are_texts(list(engagement)) and _are_texts(list(engagement.values()))
            and _are_texts(list(overrides))):
        raise StoredError("not a post record")
    return Post(
        id=post_id, file=file, title=title, publish_at=_moment(publish_at) if publish_at is not None else None,
        queue=queue, channels=list(channels), status=_status(status), tags=list(tags), link=link,
        media=[_media(item) for item in media] if media else [], thread=thread, language=language,
        content_warning=content_warning,
        overrides={channel: _override(value) for channel, value in overrides.items()} if overrides else {},
        engagement=dict(engagement), body=body, body_line=body_line, lines=KeyPlacer(front, front_line),
        id_from_file=id_from_file, unread=frozenset(unread) if unread else frozenset(),
        media_paths=tuple(media_paths),
    )


_STR_TYPES = frozenset({str})
_MAYBE_STR_TYPES = frozenset({str, type(None)})


def _are_texts(value: object) -> bool:
    return type(value) is list and _STR_TYPES.issuperset(map(type, value))


def findings_record(findings: list[Finding]) -> list:
    return [[f.file, f.line, f.column, f.level, f.code, f.message] for f in findings]


def findings_from_record(record: object) -> list[Finding]:
    found = []
    for item in _list(record):
        if not isinstance(item, list) or len(item) != 6:
            raise StoredError("not a finding")
        file, line, column, level, code, message = item
        if level not in _LEVELS:
            raise StoredError("not a finding's level")
        found.append(Finding(_text(file), _number(line), _number(column), level, _text(code), _text(message)))
    return found


def stored_fields() -> set[str]:
    """Every field of Post, for the test that a record keeps each one."""
    return {field.name for field in fields(Post)}


# -- checked conversions: a record is never trusted ------------------------------------------


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise StoredError("not a text")
    return value


def _maybe(value: object) -> str | None:
    return None if value is None else _text(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise StoredError("not true or false")
    return value


def _number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise StoredError("not a number")
    return value


def _maybe_number(value: object) -> int | None:
    return None if value is None else _number(value)


def _list(value: object) -> list:
    if not isinstance(value, list):
        raise StoredError("not a list")
    return value


def _dict(value: object) -> dict:
    if not isinstance(value, dict):
        raise StoredError("not a mapping")
    return value


def _texts(value: object) -> list[str]:
    return [_text(item) for item in _list(value)]


def _moment(value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError:
        raise StoredError("not a time") from None
    if moment.utcoffset() is None or moment.utcoffset().total_seconds():
        raise StoredError("not a UTC time")
    return moment.replace(tzinfo=UTC)


def _status(value: object) -> PostStatus:
    try:
        return PostStatus(_text(value))
    except ValueError:
        raise StoredError("not a status") from None


def _media(value: object) -> Media:
    item = _list(value)
    if len(item) != 7:
        raise StoredError("not an image")
    path, alt, index, width, height, image_format, size = item
    return Media(path=_text(path), alt=_maybe(alt), index=_number(index), width=_maybe_number(width),
                 height=_maybe_number(height), format=_maybe(image_format), bytes=_maybe_number(size))


def _override(value: object) -> Override:
    item = _list(value)
    if len(item) != 5:
        raise StoredError("not an override")
    text, content_warning, tags, link, thread = item
    return Override(text=_maybe(text), content_warning=_maybe(content_warning),
                    tags=None if tags is None else tuple(_texts(tags)), link=_maybe(link), thread=_maybe(thread))

"""Profiles as code: `content/profiles/<channel>.yml`, what each account shows.

A profile file names the channel by its file name and holds the display name, the
bio, the avatar and header images (paths under content/, like a post's media) and
the profile's name/value fields. Reading collects every problem with its line;
what a network can hold and how long it may be is checked against the channel's
network in pipeline/validation/profiles.py.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.content.media import MAX_MEDIA_BYTES, MediaLibrary, MediaProblem
from pipeline.content.model import Media
from pipeline.content.placing import KeyPlacer
from pipeline.content.schema_errors import schema_findings
from pipeline.content.yamlload import describe_yaml_error, load_yaml
from pipeline.errors import ERROR, Finding
from pipeline.files import RegularFiles, UnsafeFile

PROFILES_DIR = "content/profiles"
MAX_PROFILE_BYTES = 100_000


class ProfileField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the field is, e.g. Website")
    value: str = Field(description="Its value, e.g. https://crumbandco.example")


class ProfileFile(BaseModel):
    """content/profiles/<channel>.yml: what the channel's account shows. Leave out what to leave as it is."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    display_name: str | None = Field(None, description="The account's name as people see it")
    bio: str | None = Field(None, description="The account's description (Mastodon: note; Bluesky: description)")
    avatar: str | None = Field(None, description="Image path relative to content/, e.g. media/profile/avatar.png")
    header: str | None = Field(None, description="Banner image path relative to content/")
    fields: list[ProfileField] | None = Field(None, description="Name/value pairs (Mastodon: up to 4)")


@dataclass(frozen=True)
class Profile:
    """One profile file, read."""

    channel: str
    file: str
    display_name: str | None = None
    bio: str | None = None
    avatar: Media | None = None
    header: Media | None = None
    fields: tuple[tuple[str, str], ...] | None = None
    #: sha256 of each image's bytes, to tell whether it changed since the last sync
    digests: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


def profile_files(root: Path) -> list[str]:
    folder = Path(root) / PROFILES_DIR
    if not folder.is_dir():
        return []
    return sorted(name for name in os.listdir(folder) if name.endswith((".yml", ".yaml")))


def load_profiles(root: Path) -> tuple[list[Profile], list[Finding]]:
    """Every profile file; a problem in one never hides another's."""
    root = Path(root)
    files = RegularFiles(root)
    media = MediaLibrary(root / "content", files)
    profiles, findings = [], []
    for name in profile_files(root):
        profile, found = _read(root, files, media, f"{PROFILES_DIR}/{name}")
        findings.extend(found)
        if profile is not None:
            profiles.append(profile)
    return profiles, findings


def _read(root: Path, files: RegularFiles, media: MediaLibrary, file: str) -> tuple[Profile | None, list[Finding]]:
    findings: list[Finding] = []

    def report(line: int, column: int, code: str, message: str) -> None:
        findings.append(Finding(file, line, column, ERROR, code, message))

    try:
        raw = files.read(file, MAX_PROFILE_BYTES, "profile")
        text = raw.decode("utf-8-sig")
    except UnsafeFile as problem:
        report(1, 1, problem.code, problem.message)
        return None, findings
    except UnicodeDecodeError as exc:
        report(1, 1, "encoding", f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8")
        return None, findings
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        line, column, code, problem = describe_yaml_error(exc, text)
        report(line, column, code, f"YAML syntax error: {problem}")
        return None, findings
    if data is None:
        data = {}
    place = KeyPlacer(text, 1)
    if not isinstance(data, dict):
        report(1, 1, "profile-invalid", "a profile is keys and values (display_name:, bio:, avatar:, ...), "
               f"not {type(data).__name__}")
        return None, findings
    try:
        parsed = ProfileFile.model_validate(data)
    except ValidationError as exc:
        findings.extend(schema_findings(exc, ProfileFile, file, place))
        return None, findings
    channel = os.path.splitext(os.path.basename(file))[0]
    lines = {key: place.line(key) for key in data}
    images: dict[str, Media | None] = {}
    digests: dict[str, str] = {}
    for key in ("avatar", "header"):
        path = getattr(parsed, key)
        images[key] = None
        if path is None:
            continue
        line, column = place((key, "<value>"))
        try:
            images[key] = media.inspect(path, alt=None, index=0)
        except MediaProblem as problem:
            findings.append(Finding(file, line, column, ERROR, problem.code, problem.message))
            continue
        try:
            digests[key] = hashlib.sha256(files.read(f"content/{path}", MAX_MEDIA_BYTES, "image")).hexdigest()
        except UnsafeFile as problem:
            findings.append(Finding(file, line, column, ERROR, problem.code, problem.message))
    fields = tuple((f.name, f.value) for f in parsed.fields) if parsed.fields is not None else None
    return Profile(channel=channel, file=file, display_name=parsed.display_name, bio=parsed.bio,
                   avatar=images["avatar"], header=images["header"], fields=fields, digests=digests,
                   lines=lines), findings

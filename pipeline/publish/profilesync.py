"""`social profiles diff` and `sync`: content/profiles/ against the live profiles.

What a sync wrote is recorded in state/profiles.jsonl (on the state branch), per
channel: each field's value and each image's digest and live id right after the
write. That record is how a change someone made in the app since is told apart
from a change in the repository: such a field is reported as a conflict and left
as it is, unless `--force`. Bluesky also refuses a write over a record changed
between the read and the write (swapRecord).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.content.profiles import Profile, load_profiles
from pipeline.content.workspace import Workspace
from pipeline.errors import ERROR, PipelineError, UsageError
from pipeline.networks import network_class
from pipeline.networks.base import LiveProfile, Network, ProfileUpdate
from pipeline.networks.delivery import Http
from pipeline.networks.parts import MediaFile
from pipeline.secrets import Secrets
from pipeline.state.journal import Journal
from pipeline.times import utc_iso, utc_now

JOURNAL = "profiles.jsonl"
TEXT_KEYS = ("display_name", "bio", "fields")
IMAGE_KEYS = ("avatar", "header")
#: what a profile of a network this tool cannot set has no use for (the previews show only name and avatar)
PREVIEW_ONLY_REFUSED = ("bio", "header", "fields")


@dataclass
class FieldChange:
    key: str
    live: str
    wanted: str
    #: changed on the network since the last sync: left alone unless forced
    conflict: bool = False


@dataclass
class ProfileDiff:
    channel: str
    file: str
    changes: list[FieldChange] = field(default_factory=list)
    problem: str | None = None
    synced: bool = False

    @property
    def conflicts(self) -> list[FieldChange]:
        return [c for c in self.changes if c.conflict]


def profile_diffs(root: Path, *, channel_id: str | None = None, env: Mapping[str, str] | None = None,
                  clock: Callable[[], datetime] | None = None, sleep: Callable[[float], None] | None = None,
                  apply: bool = False, force: bool = False) -> list[ProfileDiff]:
    """Each profile against its live profile; with `apply`, write what differs (not conflicts unless forced)."""
    clock = clock or utc_now
    workspace = Workspace(root, clock=clock)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    profiles, findings = load_profiles(workspace.root)
    errors = [f for f in findings if f.level == ERROR]
    if errors:
        first = errors[0]
        raise UsageError(f"{first.file}:{first.line}: {first.message} (run `social validate`)",
                         code="profile-invalid")
    env = os.environ if env is None else env
    secrets = Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    journal = Journal(workspace.root, JOURNAL)
    baselines: dict[str, dict] = {}
    for record in journal.records():
        baselines[record.get("channel", "")] = record
    results = []
    for profile in profiles:
        if channel_id not in (None, profile.channel) or profile.channel not in config.channels:
            continue
        channel = config.channels[profile.channel]
        if network_class(channel.network).profile is None:
            unsettable = [key for key in PREVIEW_ONLY_REFUSED if getattr(profile, key) is not None]
            if unsettable:  # meant for the live profile, which this tool cannot set: refused, with the reason
                title = network_class(channel.network).title or channel.network
                results.append(ProfileDiff(profile.channel, profile.file, problem=(
                    f"{title} profiles cannot be set by this tool; for the calendar's previews a profile holds "
                    f"only display_name and avatar: remove {', '.join(unsettable)}")))
            continue  # a name and avatar for the calendar's previews only: nothing to sync
        network = network_class(channel.network)(
            channel, env=env, http=Http(secrets=secrets, sleep=sleep or (lambda s: None), clock=clock),
            root=workspace.root)
        diff = ProfileDiff(profile.channel, profile.file)
        try:
            live = network.read_profile()
            diff.changes = _changes(profile, live, baselines.get(profile.channel), workspace.root, network)
            wanted = [c for c in diff.changes if force or not c.conflict]
            if apply and wanted:
                after = network.write_profile(_update(profile, wanted, workspace.root), live)
                journal.append([_baseline(profile, after, baselines.get(profile.channel), clock())])
                diff.synced = True
        except PipelineError as exc:
            diff.problem = secrets.mask(exc.message)
        results.append(diff)
    return results


def _changes(profile: Profile, live: LiveProfile, baseline: dict | None, root: Path,
             network: Network) -> list[FieldChange]:
    changes = []
    for key in TEXT_KEYS:
        wanted = getattr(profile, key)
        if wanted is None:
            continue
        now = getattr(live, key)
        if _same(key, now, wanted):
            continue
        conflict = baseline is not None and key in baseline and not _same(key, now, _from_json(key, baseline[key]))
        changes.append(FieldChange(key, _shown(key, now), _shown(key, wanted), conflict))
    for key in IMAGE_KEYS:
        image = getattr(profile, key)
        if image is None:
            continue
        digest = profile.digests.get(key)
        live_id = getattr(live, key)
        if live_id and live_id == _content_id(network, root, image.path):
            continue  # the network names images by their content (Bluesky): it is this one
        if baseline and baseline.get(f"{key}_digest") == digest and baseline.get(key) == live_id:
            continue  # what the last sync uploaded, still there
        conflict = bool(baseline) and baseline.get(key) is not None and baseline.get(key) != live_id
        changes.append(FieldChange(key, "an image changed in the app" if conflict else (live_id and "another image")
                                   or "no image", image.path, conflict))
    return changes


def _content_id(network: Network, root: Path, path: str) -> str | None:
    try:
        return network.image_id((root / "content" / path).read_bytes())
    except OSError:
        return None


def _same(key: str, live, wanted) -> bool:
    if key == "fields":
        return tuple(tuple(pair) for pair in live or ()) == tuple(tuple(pair) for pair in wanted or ())
    return (live or "").strip() == (wanted or "").strip()


def _shown(key: str, value) -> str:
    if key == "fields":
        return "; ".join(f"{name}: {text}" for name, text in value or ()) or "(none)"
    return value or ""


def _from_json(key: str, value):
    return tuple(tuple(pair) for pair in value) if key == "fields" else value


def _update(profile: Profile, changes: list[FieldChange], root: Path) -> ProfileUpdate:
    keys = {c.key for c in changes}

    def image(key: str) -> MediaFile | None:
        media = getattr(profile, key)
        if key not in keys or media is None:
            return None
        return MediaFile(root / "content" / media.path, "", media.width, media.height, media.format)

    return ProfileUpdate(display_name=profile.display_name if "display_name" in keys else None,
                         bio=profile.bio if "bio" in keys else None,
                         fields=profile.fields if "fields" in keys else None,
                         avatar=image("avatar"), header=image("header"))


def _baseline(profile: Profile, after: LiveProfile, before: dict | None, now: datetime) -> dict:
    """What the profile holds right after the sync: the next sync's measure of changes made elsewhere."""
    record = {"channel": profile.channel, "at": utc_iso(now), "display_name": after.display_name,
              "bio": after.bio, "fields": [list(pair) for pair in after.fields], "version": after.version}
    for key in IMAGE_KEYS:
        record[key] = getattr(after, key)
        record[f"{key}_digest"] = profile.digests.get(key) or (before or {}).get(f"{key}_digest")
    record["digest"] = hashlib.sha256(repr(sorted(record.items())).encode()).hexdigest()[:16]
    return record


def diff_lines(diffs: list[ProfileDiff], *, applied: bool = False) -> list[str]:
    lines = []
    for diff in diffs:
        if diff.problem:
            lines.append(f"✗ {diff.channel}: {diff.problem}")
            continue
        if not diff.changes:
            lines.append(f"✓ {diff.channel}: the live profile matches {diff.file}")
            continue
        verb = "synced" if diff.synced else ("would change" if not applied else "not synced")
        lines.append(f"{'✓' if diff.synced else '~'} {diff.channel}: {verb}:")
        for change in diff.changes:
            if change.conflict:
                lines.append(f"  ! {change.key}: changed in the app since the last sync ({_cut(change.live)}); "
                             f"left as it is: copy it into {diff.file}, or sync with --force to overwrite it")
            else:
                lines.append(f"  {change.key}: {_cut(change.live)!r} -> {_cut(change.wanted)!r}")
    return lines


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""`social validate`: every check over the content, reported together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.content.identity import IDENTITY_CODES
from pipeline.content.model import Content, Post
from pipeline.content.strays import stray_findings, unused_media
from pipeline.content.workspace import Workspace
from pipeline.errors import ERROR, NOTICE, WARNING, Finding
from pipeline.state.ledger import Ledger
from pipeline.validation.channeldates import channel_date_findings
from pipeline.validation.coverage import CADENCE, LATENESS, RENDER, SAME_TEXT, coverage
from pipeline.validation.lateness import lateness_findings
from pipeline.validation.sametext import same_text_findings


@dataclass
class Report:
    """Findings sorted by file and line; `config_broken` means exit 2. Notices never fail it."""

    findings: list[Finding] = field(default_factory=list)
    config_broken: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.level == NOTICE]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def as_dict(self, strict: bool = False) -> dict:
        return {
            "ok": self.ok(strict),
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
            "notices": [f.as_dict() for f in self.notices],
        }


CHECKS = ("content", "render", "cadence", "ledger")


def validate(content: Content, *, now: datetime, ledger: Ledger | None = None,
             checks: tuple[str, ...] = CHECKS, unused: bool = False,
             render: Callable[[list[Post]], list[Finding]] | None = None) -> Report:
    """Every check over loaded content; never stops at the first problem.

    `now` is where cadence starts looking: the past still counts, but what ended
    before now is not reported; a ready post due before `now` that the ledger does
    not know is reported (it would be missed, or it goes out with the next run).
    `ledger` (None: none) gives the times published posts really went out and the
    ids they went out under. `checks` picks groups: content (files, schema, times,
    media) always runs; render, cadence and ledger (ids of published posts, and
    posts whose time has passed) can be left out for a quick look. A check looks at
    every post whose values it needs can be read, errors elsewhere in the file or
    not (see coverage.py). Files under content/ that look like posts but are not
    read as one are warned about; with `unused`, images no post uses are listed.
    `render` gives the render findings of the posts the render check looks at (default:
    rendering them; changed.py keeps them between runs).
    """
    findings = list(content.findings)
    if "ledger" not in checks:  # reading held each post against the ledger; leave that out if asked
        findings = [f for f in findings if f.code not in IDENTITY_CODES]
    covered = coverage(content, checks, findings)
    findings.extend(covered.notices)
    if content.other_files is not None:
        findings.extend(stray_findings(content.root, content.other_files))
        if unused:
            findings.extend(unused_media(content.other_files, content.posts + content.partial,
                                         _pictures_shown(content.root)))
    findings.extend(same_text_findings(content, posts=covered.posts[SAME_TEXT]))
    if "ledger" in checks and content.config is not None:
        findings.extend(lateness_findings(covered.posts[LATENESS], content.config, ledger, now))
    findings.extend(channel_date_findings(content.config, now))
    if "content" in checks:
        findings.extend(_profile_findings(content, now))
        findings.extend(_link_card_findings(content))
    if "render" in checks and render is not None and content.config is not None:
        findings.extend(render(covered.posts[RENDER]))
    elif "render" in checks:
        from pipeline.validation.rendering import render_findings  # templates and counting: only when asked

        findings.extend(render_findings(content, posts=covered.posts[RENDER]))
    if "cadence" in checks:
        from pipeline.planning.findings import cadence_findings  # rapidfuzz and the rules: only when asked

        published = ledger.published_times() if ledger is not None else {}
        findings.extend(cadence_findings(content, now=now, published=published, posts=covered.posts[CADENCE]))
    return Report(findings=sorted(set(findings)), config_broken=content.config is None)


def _profile_findings(content: Content, now: datetime) -> list[Finding]:
    """content/profiles/ read and held against each channel's network."""
    from pipeline import git
    from pipeline.content.profiles import load_profiles
    from pipeline.validation.profiles import profile_findings

    profiles, findings = load_profiles(content.root)
    if not profiles:
        return findings
    today = now.astimezone(content.config.zone).date() if content.config else now.date()
    return findings + profile_findings(profiles, content.config, today,
                                       lambda file: git.last_changed(content.root, file))


def _pictures_shown(root: Path) -> list[str]:
    """The images profiles and stored link cards show (paths under content/): in use, though no post names them."""
    from pipeline.content.linkcards import load_link_cards
    from pipeline.content.profiles import load_profiles

    profiles, _ = load_profiles(root)
    cards, _, _ = load_link_cards(root)
    return ([image.path for profile in profiles for image in (profile.avatar, profile.header) if image]
            + [card.image for card in cards.values() if card.image])


def _link_card_findings(content: Content) -> list[Finding]:
    """content/linkcards.yml, where `social linkcards` keeps the linked pages' cards."""
    from pipeline.content.linkcards import load_link_cards

    return load_link_cards(content.root)[2]


def validate_workspace(workspace: Workspace, checks: tuple[str, ...] = CHECKS, unused: bool = False, *,
                       cache: bool = True, jobs: int | None = None) -> Report:
    """`social validate`: the repository's content against its ledger, as of the workspace's now.

    Only what changed since the last run is read and rendered again (`cache=False`: everything),
    over `jobs` processes (default: every core) when there is much of it: see changed.py.
    """
    from pipeline.validation.changed import validate_changed

    return validate_changed(workspace, checks, unused, cache=cache, jobs=jobs)

"""Several brands in one repository: `brands/<brand>/`, each a full content root.

An agency keeps every brand it runs in one repository. Each folder under `brands/`
that holds `content/channels.yml` is a brand, with everything a repository of one
brand has at its top: `content/` (channels, posts, media, profiles), `templates/`,
and its own ledger in `state/`, a checkout of its own state branch. A repository
without `brands/` is one brand, at its top, exactly as before.

A brand's name is its folder's name, and it names more than a folder: the brand's
state branch (`state-<brand>`: two brands' publish jobs push at the same time to
different branches, so they never wait for or merge with each other), the GitHub
environment holding its secrets (`publish-<brand>`) and its failure issue. So it must
be a name all of those take: lowercase letters, digits and inner hyphens.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.content.channels import CONFIG_FILE
from pipeline.content.workspace import nearest_folder
from pipeline.errors import ConfigError, UsageError

BRANDS_DIR = "brands"
STATE_BRANCH = "state"
ENVIRONMENT = "publish"
MAX_NAME = 40
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


@dataclass(frozen=True)
class Brand:
    """One brand: its name ("" for the one brand of a repository without brands/) and its content
    root, relative to the repository."""

    name: str
    root: Path

    @property
    def state_branch(self) -> str:
        return state_branch_name(self.name)

    @property
    def environment(self) -> str:
        """The GitHub environment whose secrets only this brand's jobs read."""
        return environment_name(self.name)

    @property
    def suffix(self) -> str:
        """What tells this brand's artifacts and issues apart from another's ("" for the only one)."""
        return f"-{self.name}" if self.name else ""

    def as_dict(self) -> dict:
        return {"brand": self.name, "root": self.root.as_posix(), "environment": self.environment,
                "state_branch": self.state_branch, "suffix": self.suffix}


@dataclass
class Brands:
    """The brands of a repository, and the folders under brands/ that are not brands (and why)."""

    repository: Path
    brands: list[Brand]
    refused: list[str] = field(default_factory=list)

    @property
    def multi(self) -> bool:
        return any(brand.name for brand in self.brands)

    @property
    def names(self) -> list[str]:
        return [brand.name for brand in self.brands]


def state_branch_name(brand: str) -> str:
    return f"{STATE_BRANCH}-{brand}" if brand else STATE_BRANCH


def environment_name(brand: str) -> str:
    """The GitHub environment of `brand`'s secrets: `publish-<brand>`, or `publish` for the only one."""
    return f"{ENVIRONMENT}-{brand}" if brand else ENVIRONMENT


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a brand's name, or None when it can."""
    if not _NAME.fullmatch(name):
        return ("a brand's name takes lowercase letters a-z, digits and inner hyphens only (it names "
                "the brand's state branch and GitHub environment)")
    if len(name) > MAX_NAME:
        return f"a brand's name takes at most {MAX_NAME} characters"
    return None


def list_brands(repository: Path) -> Brands:
    """The brands of `repository`, by name; without brands/, the repository itself as its one brand.

    ConfigError when the repository has both content/channels.yml at its top and brands: which
    of them a run would publish would be a guess."""
    repository = Path(repository)
    folder = repository / BRANDS_DIR
    found = Brands(repository, [])
    if folder.is_dir():
        for child in sorted(folder.iterdir(), key=lambda path: path.name):
            if child.name.startswith(".") or not child.is_dir():
                continue
            shown = f"{BRANDS_DIR}/{child.name}"
            if not (child / CONFIG_FILE).is_file():
                found.refused.append(f"{shown} holds no {CONFIG_FILE}: not a brand")
            elif problem := name_problem(child.name):
                found.refused.append(f"{shown} is not a brand: {problem}")
            else:
                found.brands.append(Brand(child.name, Path(BRANDS_DIR, child.name)))
    if found.brands and (repository / CONFIG_FILE).is_file():
        raise ConfigError(f"{repository.resolve()} has both {CONFIG_FILE} and {BRANDS_DIR}/ with brands "
                          f"({', '.join(found.names)}): a repository is one brand (content/ at its top) or "
                          f"several (brands/NAME/content/); move content/ and templates/ into "
                          f"{BRANDS_DIR}/NAME/", file=CONFIG_FILE, code="brands-and-root")
    if not found.brands:
        found.brands.append(Brand("", Path(".")))
    return found


def brand_root(repository: Path, name: str) -> Path:
    """The content root of brand `name` in `repository`; UsageError naming the brands there are."""
    repository = Path(repository)
    if not (repository / BRANDS_DIR).is_dir():
        raise UsageError(f"{repository.resolve()} has no {BRANDS_DIR}/ folder, so no brand {name!r}: it is "
                         "a repository of one brand; leave out --brand")
    root = repository / BRANDS_DIR / name
    if name_problem(name) is None and (root / CONFIG_FILE).is_file():
        return root
    names = list_brands(repository).names
    guess = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {guess[0]!r}?" if guess else f"brands: {', '.join(names) or 'none yet'}"
    raise UsageError(f"no brand {name!r} in {(repository / BRANDS_DIR).resolve()} (a folder holding "
                     f"{CONFIG_FILE}); {hint}")


def brand_of(root: Path) -> str | None:
    """The brand whose content root `root` is: the name of a folder in brands/ that is not the top of
    a git repository of its own. None for a repository of one brand."""
    root = Path(root).resolve()
    if root.parent.name != BRANDS_DIR or (root / ".git").exists():
        return None
    return root.name


def state_branch_of(root: Path) -> str:
    """The state branch of the content root `root`: `state`, or `state-<brand>` for a brand."""
    name = brand_of(root)
    if name is None:
        return STATE_BRANCH
    if problem := name_problem(name):
        raise UsageError(f"{Path(root).resolve()}: {problem}; rename the folder, or give --branch")
    return state_branch_name(name)


def find_repository(start: Path, *, user: int | None = None) -> Path | None:
    """The repository `start` is in: the nearest folder, `start` or above, holding brands/, or
    content/channels.yml without being a brand itself. Never past the top of a git repository."""
    def holds(folder: Path) -> bool:
        if (folder / BRANDS_DIR).is_dir():
            return True
        return (folder / CONFIG_FILE).is_file() and brand_of(folder) is None

    return nearest_folder(start, holds, user=user)


def several_brands(repository: Path) -> list[str]:
    """The brands of `repository` when it holds brands and no content of its own; else []."""
    if (repository / CONFIG_FILE).is_file() or not (repository / BRANDS_DIR).is_dir():
        return []
    found = list_brands(repository)
    return found.names if found.multi else []

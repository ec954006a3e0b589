"""Several brands in one repository: `brands/<brand>/` each a full content root.

Each brand has its own channels, posts, templates, ledger (on its own state branch),
environment of secrets and failure issue; `--brand` (or standing inside a brand's
folder) picks one; `social brands` lists them for the publish workflow's matrix.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CHANNELS, REPO, ContentRepo

from pipeline.content.brands import Brand, brand_of, find_repository, list_brands
from pipeline.errors import ConfigError, UsageError


def social(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True)


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), "-c", "user.name=Test", "-c", "user.email=t@example.com",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    """A git repository with three brands; each has one post."""
    root = tmp_path / "agency"
    for brand in ("bakery", "cafe", "flowers"):
        repo = ContentRepo(root / "brands" / brand)
        repo.post(f"{brand}-hello", "publish_at: 2030-03-02 10:00\nchannels: [outbox]", month="2030/03")
    git(root, "init", "-q", "-b", "main")
    return root


# -- listing ------------------------------------------------------------------------------


def test_a_repository_without_brands_is_one_brand_at_its_root(repo):
    found = list_brands(repo.root)
    assert not found.multi
    assert found.brands == [Brand("", Path("."))]
    only = found.brands[0]
    assert (only.state_branch, only.environment, only.suffix) == ("state", "publish", "")


def test_brands_are_the_folders_under_brands_holding_channels_yml_in_name_order(agency):
    (agency / "brands" / "README.md").write_text("Our brands\n")  # a file is no brand, and says nothing
    (agency / "brands" / ".templates").mkdir()  # nor is a hidden folder
    found = list_brands(agency)
    assert found.multi and found.refused == []
    assert [b.name for b in found.brands] == ["bakery", "cafe", "flowers"]
    cafe = found.brands[1]
    assert cafe.root == Path("brands/cafe")
    assert (cafe.state_branch, cafe.environment, cafe.suffix) == ("state-cafe", "publish-cafe", "-cafe")


@pytest.mark.parametrize("name, why", [
    ("Cafe", "lowercase"), ("café", "lowercase"), ("-cafe", "lowercase"), ("cafe-", "lowercase"),
    ("my cafe", "lowercase"), ("a" * 41, "at most 40"),
])
def test_a_folder_whose_name_cannot_name_a_branch_and_an_environment_is_refused_with_why(agency, name, why):
    ContentRepo(agency / "brands" / name)
    found = list_brands(agency)
    assert [b.name for b in found.brands] == ["bakery", "cafe", "flowers"]
    assert len(found.refused) == 1 and f"brands/{name}" in found.refused[0] and why in found.refused[0]


def test_a_folder_without_channels_yml_is_not_a_brand_and_is_named(agency):
    (agency / "brands" / "old" / "content").mkdir(parents=True)
    found = list_brands(agency)
    assert [b.name for b in found.brands] == ["bakery", "cafe", "flowers"]
    assert found.refused == ["brands/old holds no content/channels.yml: not a brand"]


def test_content_at_the_top_and_brands_together_are_refused(agency):
    ContentRepo(agency)
    with pytest.raises(ConfigError, match=r"both content/channels.yml and brands/"):
        list_brands(agency)


def test_brand_of_a_content_root(agency, tmp_path):
    assert brand_of(agency / "brands" / "cafe") == "cafe"
    assert brand_of(agency) is None
    # a repository of its own that happens to live in a folder called brands is not a brand
    alone = tmp_path / "brands" / "shop"
    ContentRepo(alone)
    git(alone, "init", "-q")
    assert brand_of(alone) is None


def test_find_repository_from_anywhere_inside_it(agency):
    assert find_repository(agency / "brands" / "cafe" / "content" / "posts") == agency.resolve()
    assert find_repository(agency / "brands") == agency.resolve()
    assert find_repository(agency) == agency.resolve()


# -- --brand and discovery -------------------------------------------------------------------


@pytest.mark.parametrize("where", [".", "brands", "brands/bakery/content/posts"])
def test_brand_picks_the_brand_from_anywhere_in_the_repository(agency, where):
    done = social(agency / where, "list", "--all", "--format", "json", "--brand", "cafe")
    assert done.returncode == 0, done.stderr
    assert [p["id"] for p in json.loads(done.stdout)["posts"]] == ["cafe-hello"]


def test_inside_a_brands_folder_the_brand_is_found_without_brand(agency):
    done = social(agency / "brands" / "flowers" / "content" / "posts", "list", "--all", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [p["id"] for p in json.loads(done.stdout)["posts"]] == ["flowers-hello"]
    assert f"using the repository at {(agency / 'brands' / 'flowers').resolve()}" in done.stderr


def test_brand_with_root_names_the_repository(agency, tmp_path):
    done = social(tmp_path, "validate", "--root", str(agency), "--brand", "bakery")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("where", [".", "brands"])
def test_the_top_of_a_repository_of_brands_asks_for_one(agency, where):
    done = social(agency / where, "validate")
    assert done.returncode == 2
    assert "holds several brands (bakery, cafe, flowers): give --brand" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_brand_says_which_there_are(agency):
    done = social(agency, "validate", "--brand", "caffe")
    assert done.returncode == 2
    assert "no brand 'caffe'" in done.stderr and "did you mean 'cafe'?" in done.stderr


def test_brand_in_a_repository_of_one_brand_says_so(repo):
    done = social(repo.root, "validate", "--brand", "cafe")
    assert done.returncode == 2 and "has no brands/ folder" in done.stderr


def test_validate_github_annotations_name_the_file_from_the_repository_top(agency):
    bad = agency / "brands" / "cafe" / "content" / "posts" / "2030" / "03" / "cafe-hello.md"
    bad.write_text(bad.read_text().replace("[outbox]", "[nowhere]"))
    done = social(agency, "validate", "--brand", "cafe", "--format", "github")
    assert done.returncode == 1
    assert "::error file=brands/cafe/content/posts/2030/03/cafe-hello.md,line=" in done.stdout
    json_done = social(agency, "validate", "--brand", "cafe", "--format", "json")
    # JSON keeps its contract: files relative to the content root
    assert json.loads(json_done.stdout)["errors"][0]["file"] == "content/posts/2030/03/cafe-hello.md"


# -- social brands ------------------------------------------------------------------------------


def test_social_brands_matrix_is_one_line_for_github_output(agency):
    done = social(agency / "brands" / "cafe", "brands", "--format", "matrix")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    entries = json.loads(done.stdout)
    assert [e["brand"] for e in entries] == ["bakery", "cafe", "flowers"]
    assert entries[1] == {"brand": "cafe", "root": "brands/cafe", "environment": "publish-cafe",
                          "state_branch": "state-cafe", "suffix": "-cafe",
                          "publish_marker": "<!-- social-publish-failures cafe -->",
                          "publish_title": "Publishing needs attention: cafe",
                          "channels_marker": "<!-- social-channels-check cafe -->",
                          "channels_title": "Channels need attention: cafe"}


def test_social_brands_of_a_repository_of_one_brand_is_the_root_as_today(repo):
    done = social(repo.root, "brands", "--format", "matrix")
    assert json.loads(done.stdout) == [{
        "brand": "", "root": ".", "environment": "publish", "state_branch": "state", "suffix": "",
        "publish_marker": "<!-- social-publish-failures -->", "publish_title": "Publishing needs attention",
        "channels_marker": "<!-- social-channels-check -->", "channels_title": "Channels need attention"}]
    text = social(repo.root, "brands")
    assert "one brand" in text.stdout


def test_social_brands_warns_of_refused_folders_and_lists_the_others(agency):
    ContentRepo(agency / "brands" / "Bad Name")
    done = social(agency, "brands", "--format", "json")
    assert done.returncode == 0
    assert [b["brand"] for b in json.loads(done.stdout)["brands"]] == ["bakery", "cafe", "flowers"]
    assert "warning: brands/Bad Name" in done.stderr
    strict = social(agency, "brands", "--strict")
    assert strict.returncode == 1


# -- state, failures and channels per brand ------------------------------------------------------------


def test_each_brand_keeps_its_ledger_on_its_own_state_branch(agency, tmp_path):
    git(agency, "add", "-A")
    git(agency, "commit", "-qm", "brands")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(agency), str(bare)], check=True)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True)
    for brand in ("cafe", "flowers"):
        done = social(work / "brands" / brand, "state", "checkout")
        assert done.returncode == 0 and f"origin has no state-{brand} branch yet" in done.stdout, done.stderr
        ledger = work / "brands" / brand / "state" / "ledger.jsonl"
        ledger.write_text(json.dumps({"post": f"{brand}-hello", "channel": "outbox", "part": 1,
                                      "state": "published", "at": "2030-03-02T09:00:00Z"}) + "\n")
    assert social(work, "state", "push", "--brand", "cafe").returncode == 0
    assert social(work / "brands" / "flowers", "state", "push").returncode == 0
    branches = git(bare, "branch", "--format=%(refname:short)").split()
    assert sorted(branches) == ["main", "state-cafe", "state-flowers"]
    cafe = git(bare, "show", "state-cafe:ledger.jsonl")
    assert "cafe-hello" in cafe and "flowers-hello" not in cafe
    # an explicit --branch still wins
    done = social(work, "state", "checkout", "--brand", "bakery", "--branch", "custom")
    assert "origin has no custom branch yet" in done.stdout, done.stderr


def test_the_failure_issue_of_a_brand_has_its_own_marker_and_title(agency, tmp_path):
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": False, "outcomes": [
        {"post": "x", "channel": "outbox", "part": 1, "state": "failed", "error": "boom"}]}))
    done = social(agency, "failures", str(report), "--brand", "cafe")
    assert done.returncode == 1
    assert done.stdout.startswith("<!-- social-publish-failures cafe -->\n## Publishing needs attention: cafe")
    single = ContentRepo(tmp_path / "single")
    done = social(single.root, "failures", str(report))
    assert done.stdout.startswith("<!-- social-publish-failures -->\n## Publishing needs attention\n")


def test_the_failure_issue_of_a_brand_names_its_environment_and_its_state_branch(agency, tmp_path):
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": False, "outcomes": [
        {"post": "x", "channel": "outbox", "part": 1, "state": "failed", "error": "boom"}]}))
    state = agency / "brands" / "cafe" / "state"
    state.mkdir()
    (state / "ledger.jsonl").write_text('{"post": "x", "channel": "outbox", "part": 1, "state": "publ\n')
    done = social(agency, "failures", str(report), "--brand", "cafe")
    assert "update the secret in the `publish-cafe` environment" in done.stdout
    # how to see where a damaged line came from holds for any state branch: the brand's checkout's log
    assert f"{state / 'ledger.jsonl'}:1: the ledger is damaged" in done.stdout
    assert "`git log -p -- ledger.jsonl` in the state/ checkout" in done.stdout
    assert "`publish` environment" not in done.stdout and "git log -p state " not in done.stdout
    single = ContentRepo(tmp_path / "single")
    done = social(single.root, "failures", str(report))
    assert "update the secret in the `publish` environment" in done.stdout


def test_the_channel_check_issue_of_a_brand_names_its_environment(agency):
    done = social(agency, "channels", "check", "--brand", "cafe", "--format", "markdown")
    assert "the secrets of the `publish-cafe` environment" in done.stdout, done.stdout


def test_the_channel_check_issue_of_a_brand_has_its_own_marker(agency):
    done = social(agency, "channels", "check", "--brand", "cafe", "--format", "markdown")
    assert done.returncode == 1, done.stderr  # the fixture's channels have no tokens
    assert done.stdout.startswith("<!-- social-channels-check cafe -->\n")


def test_the_agency_example_is_three_valid_brands():
    example = REPO / "examples" / "agency"
    found = list_brands(example)
    assert [b.name for b in found.brands] == ["bakery", "cafe", "flowers"] and not found.refused
    for brand in found.brands:
        done = social(example, "validate", "--brand", brand.name)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (example / ".github" / "CODEOWNERS").is_file()


def test_a_brand_whose_folder_is_removed_is_no_longer_listed(agency):
    assert (agency / "brands" / "cafe" / "content" / "channels.yml").read_text() == CHANNELS
    shutil.rmtree(agency / "brands" / "cafe")
    assert [b.name for b in list_brands(agency).brands] == ["bakery", "flowers"]


def test_inside_a_brand_folder_whose_name_cannot_name_a_branch_the_state_commands_refuse(agency):
    from pipeline.content.brands import state_branch_of

    ContentRepo(agency / "brands" / "Café")
    with pytest.raises(UsageError, match="lowercase letters"):
        state_branch_of(agency / "brands" / "Café")
    assert state_branch_of(agency / "brands" / "cafe") == "state-cafe"
    assert state_branch_of(agency) == "state"

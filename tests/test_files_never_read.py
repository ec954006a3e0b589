"""A post saved where posts are not read is told, not silently never published.

Posts are the `.md` files under content/posts/. A post saved as `offer.MD`,
`offer.markdown` or `offer.txt`, or as `content/offer.md`, used to validate with "0
errors" and never exist. Now it is a warning that names the file and where it should
go; images no post uses are listed on request (`--unused`).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

NOW = "2026-12-01 08:00"
POST = "---\npublish_at: 2026-12-10 10:00\nchannels: [mastodon]\n---\nOur winter offer.\n"


def validate(repo, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json", "--now", NOW, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def never_read(report: dict) -> dict[str, str]:
    return {f["file"]: f["message"] for f in report["warnings"] if f["code"] == "file-not-read"}


@pytest.mark.parametrize("name", ["offer.MD", "offer.Md", "offer.markdown", "offer.mdown", "offer.mkd", "offer.txt",
                                  "offer.TXT", "offer"])
def test_a_post_with_another_extension_is_a_warning_saying_what_to_rename_it_to(repo, name):
    repo.write(f"content/posts/2026/12/{name}", POST)
    code, report = validate(repo)
    assert code == 0 and report["errors"] == []
    message = never_read(report)[f"content/posts/2026/12/{name}"]
    assert "never read" in message and "rename it to offer.md" in message
    assert validate(repo, "--strict")[0] == 1


@pytest.mark.parametrize(("name", "new_name"), [("offer.md.txt", "offer.md"), ("Winter Offer.MD", "winter-offer.md"),
                                               ("offer.txt.md~", None)])
def test_the_new_name_is_one_that_works_as_an_id(repo, name, new_name):
    repo.write(f"content/posts/2026/12/{name}", POST)
    found = never_read(validate(repo)[1])
    if new_name is None:  # an editor's backup
        assert found == {}
    else:
        assert found[f"content/posts/2026/12/{name}"].endswith(f"rename it to {new_name}")


def test_a_readme_among_the_posts_is_told_where_it_belongs(repo):
    repo.write("content/posts/README.md", "# How we write posts\n")
    _, report = validate(repo)
    [error] = report["errors"]
    assert error["code"] == "frontmatter-missing"
    assert "every .md file under content/posts/ is a post" in error["message"]


def test_the_rename_says_when_that_name_is_taken(repo):
    repo.write("content/posts/2026/12/offer.md", POST)
    repo.write("content/posts/2026/12/offer.txt", POST.replace("offer", "second offer"))
    message = never_read(validate(repo)[1])["content/posts/2026/12/offer.txt"]
    assert "offer.md is taken" in message


@pytest.mark.parametrize("path", ["content/offer.md", "content/drafts/offer.md", "content/offer.markdown",
                                  "content/media/offer.md"])
def test_a_post_outside_content_posts_is_a_warning_saying_where_to_move_it(repo, path):
    repo.write(path, POST)
    message = never_read(validate(repo)[1])[path]
    assert "never read" in message and "content/posts/" in message and "offer.md" in message


def test_what_is_not_a_post_is_left_alone(repo):
    repo.write("content/README.md", "# Our content\n\nPosts go in posts/.\n")
    repo.write("content/notes.txt", "ideas for January\n")
    repo.write("content/profiles/mastodon.yml", "---\ndisplay_name: Crumb & Co.\n")
    repo.write("content/media/menu.txt", "Bread, cake, stollen\n")
    repo.write("content/posts/2026/12/.DS_Store", "---\n")
    repo.write("content/posts/2026/12/offer.md~", POST)
    repo.write("content/posts/2026/12/offer.md", POST)
    code, report = validate(repo)
    assert (code, report["errors"], report["warnings"]) == (0, [], [])


def test_a_linked_file_outside_the_posts_is_not_read_to_see_whether_it_is_one(repo, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text(POST)
    (repo.root / "content").mkdir(exist_ok=True)
    (repo.root / "content/offer.md").symlink_to(outside)
    _, report = validate(repo)
    assert never_read(report) == {}


def test_unused_lists_the_images_no_post_uses(repo):
    from PIL import Image

    media = repo.root / "content/media"
    media.mkdir(parents=True)
    for name in ("used.png", "spare.png", "old/forgotten.png"):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), "wheat").save(media / name)
    (media / "notes.jpg").write_text("not an image")
    repo.post("a", "publish_at: 2026-12-10 10:00\nchannels: [mastodon]\n"
                   "media:\n  - {path: media/used.png, alt: A loaf}\n  - {path: media/notes.jpg, alt: Notes}")
    _, report = validate(repo)
    assert [f["code"] for f in report["notices"]] == []
    _, report = validate(repo, "--unused")
    unused = {f["file"]: f["message"] for f in report["notices"] if f["code"] == "media-unused"}
    assert sorted(unused) == ["content/media/old/forgotten.png", "content/media/spare.png"]
    assert "no post uses" in unused["content/media/spare.png"]


def test_pictures_a_profile_or_a_link_card_shows_are_in_use(repo):
    from PIL import Image

    media = repo.root / "content/media"
    (media / "linkcards").mkdir(parents=True)
    for name in ("avatar.png", "header.png", "linkcards/orders.png", "spare.png"):
        Image.new("RGB", (400, 400), "wheat").save(media / name)
    repo.write("content/profiles/mastodon.yml", "avatar: media/avatar.png\nheader: media/header.png\n")
    repo.write("content/linkcards.yml", "https://a.example/orders: {image: media/linkcards/orders.png}\n")
    repo.post("a", "publish_at: 2026-12-10 10:00\nchannels: [mastodon]\nlink: https://a.example/orders")
    _, report = validate(repo, "--unused")
    unused = [f["file"] for f in report["notices"] if f["code"] == "media-unused"]
    assert unused == ["content/media/spare.png"]


def test_the_pull_request_preview_warns_about_it(repo):
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo.root), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    repo.write("content/offer.md", POST)
    git("add", "-A")
    git("commit", "-qm", "a post in the wrong folder")
    result = CliRunner().invoke(cli, ["preview", "--root", str(repo.root), "--now", NOW, "--changed", "HEAD~1..HEAD"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 1 warning" in result.output
    assert "`file-not-read` `content/offer.md`" in result.output and "move it there" in result.output

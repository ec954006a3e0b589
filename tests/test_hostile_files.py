"""Links, pipes and devices a pull request can add: never followed, always a finding.

Each case once made the tool read a file outside the repository (and print or post
it), hang, or read without limit; see docs/security.md.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.files import RegularFiles, UnsafeFile

CANARY = "CANARY-7f3a9c-SECRET-do-not-post"
NOW = "2026-12-01 10:00"


def social(root: Path, *args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, [*args[:1], "--root", str(root), *args[1:]], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def errors(root: Path) -> list[dict]:
    result = social(root, "validate", "--format", "json", "--now", NOW)
    return [e for e in json.loads(result.output)["errors"]]


@pytest.fixture
def secret_file(tmp_path_factory) -> Path:
    """A file outside the repository, as /proc/self/environ or .git/config would be."""
    path = tmp_path_factory.mktemp("outside") / "environ"
    path.write_text(f"MASTODON_TOKEN={CANARY}\n")
    return path


@pytest.fixture
def bakery(repo):
    repo.post("bread", "publish_at: 2026-12-01 09:30\nchannels: [mastodon, outbox]")
    return repo


def assert_no_canary(root: Path, *outputs: str) -> None:
    for output in outputs:
        assert CANARY not in output
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert CANARY not in path.read_text(errors="replace"), path


def test_an_included_template_that_links_outside_is_refused_and_never_rendered(bakery, secret_file):
    (bakery.root / "templates/_footer.j2").symlink_to(secret_file)
    bakery.write("templates/mastodon.j2", "{{ text }}\n{% include '_footer.j2' %}\n")
    found = errors(bakery.root)
    assert {(e["file"], e["code"]) for e in found} == {("templates/_footer.j2", "file-is-link")}
    assert "links are not followed" in found[0]["message"]
    rendered = social(bakery.root, "render", "bread")
    published = social(bakery.root, "publish", "--dry-run", "--now", NOW)
    assert_no_canary(bakery.root, rendered.output, published.output)


def test_a_network_template_that_is_a_link_is_refused_not_replaced_by_the_default(bakery, secret_file):
    (bakery.root / "templates/mastodon.j2").symlink_to(secret_file)
    found = errors(bakery.root)
    assert [(e["file"], e["code"]) for e in found] == [("templates/mastodon.j2", "file-is-link")]


def test_a_templates_folder_that_is_a_link_is_refused(bakery, tmp_path_factory):
    bakery.write("templates/mastodon.j2", "{{ text }}\n")
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "templates"
    (bakery.root / "templates").rename(elsewhere)
    (bakery.root / "templates").symlink_to(elsewhere)
    found = errors(bakery.root)
    assert {e["code"] for e in found} == {"file-is-link"}
    assert all("symbolic link to a folder" in e["message"] for e in found)


def test_a_post_that_links_outside_is_refused_not_published_nor_shown(bakery, secret_file):
    secret_file.write_text(f"---\npublish_at: 2026-12-01 09:00\nchannels: [outbox]\n---\n{CANARY}\n")
    (bakery.root / "content/posts/2026/12/leak.md").symlink_to(secret_file)
    found = errors(bakery.root)
    assert [(e["file"], e["code"]) for e in found] == [("content/posts/2026/12/leak.md", "file-is-link")]
    published = social(bakery.root, "publish", "--dry-run", "--now", NOW)
    listed = social(bakery.root, "list", "--all")
    assert_no_canary(bakery.root, published.output, listed.output)


def test_a_post_linked_to_an_endless_device_is_refused_without_reading_it(bakery):
    (bakery.root / "content/posts/2026/12/zero.md").symlink_to("/dev/zero")
    found = errors(bakery.root)
    assert [(e["file"], e["code"]) for e in found] == [("content/posts/2026/12/zero.md", "file-is-link")]


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(bakery):
    os.mkfifo(bakery.root / "content/posts/2026/12/pipe.md")
    found = errors(bakery.root)
    assert [(e["code"], "named pipe" in e["message"]) for e in found] == [("file-not-regular", True)]
    # the publish run's quick look at each file must not wait either, nor stop the others
    social(bakery.root, "publish", "--dry-run", "--now", NOW)
    assert (bakery.root / "outbox/outbox/bread.1.json").is_file()


def test_a_linked_folder_of_posts_is_reported_not_silently_skipped(bakery, tmp_path):
    elsewhere = tmp_path / "more-posts"
    elsewhere.mkdir()
    (elsewhere / "hidden.md").write_text("---\npublish_at: 2026-12-01 09:00\nchannels: [outbox]\n---\nHi\n")
    (bakery.root / "content/posts/2026/linked").symlink_to(elsewhere)
    found = errors(bakery.root)
    assert [(e["file"], e["code"]) for e in found] == [("content/posts/2026/linked", "file-is-link")]
    assert "symbolic link to a folder" in found[0]["message"]


def test_the_posts_folder_itself_as_a_link_is_reported(bakery, tmp_path):
    posts = bakery.root / "content/posts"
    posts.rename(tmp_path / "posts")
    posts.symlink_to(tmp_path / "posts")
    found = errors(bakery.root)
    assert [(e["file"], e["code"]) for e in found] == [("content/posts", "file-is-link")]


def test_channels_yml_as_a_link_is_a_configuration_error(bakery, secret_file):
    config = bakery.root / "content/channels.yml"
    config.unlink()
    config.symlink_to(secret_file)
    result = social(bakery.root, "validate", "--format", "json", "--now", NOW)
    assert result.exit_code == 2
    assert [e["code"] for e in json.loads(result.output)["errors"]] == ["file-is-link"]
    assert CANARY not in result.output


def test_media_inside_content_reached_through_a_link_is_refused(bakery, tmp_path):
    from PIL import Image

    real = tmp_path / "images"
    real.mkdir()
    Image.new("RGB", (64, 64)).save(real / "loaf.png")
    (bakery.root / "content/media").symlink_to(real)
    bakery.post("photo", "publish_at: 2026-12-01 09:40\nchannels: [mastodon]\n"
                "media:\n  - path: media/loaf.png\n    alt: A loaf")
    found = errors(bakery.root)
    assert [(e["file"], e["code"]) for e in found] == [("content/posts/2026/12/photo.md", "media-is-link")]


def test_regular_files_refuses_every_kind_of_link_and_reads_at_most_its_limit(tmp_path):
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / "sub/ok.txt").write_bytes(b"hello")
    (root / "sub/big.txt").write_bytes(b"x" * 101)
    (root / "sub/link.txt").symlink_to("ok.txt")
    (root / "linked").symlink_to(root / "sub")
    files = RegularFiles(root)
    assert files.read("sub/ok.txt", 100) == b"hello"
    cases = {"sub/big.txt": "file-too-large", "sub/link.txt": "file-is-link",
             "linked/ok.txt": "file-is-link", "sub": "file-not-regular", "sub/missing.txt": "file-unreadable",
             "../outside.txt": "file-outside"}
    for path, code in cases.items():
        with pytest.raises(UnsafeFile) as caught:
            files.read(path, 100)
        assert caught.value.code == code, path


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def test_the_pull_request_preview_names_the_link_findings(bakery, secret_file):
    git(bakery.root, "init", "-q", "-b", "main")
    git(bakery.root, "add", "-A")
    git(bakery.root, "commit", "-qm", "base")
    (bakery.root / "templates/_footer.j2").symlink_to(secret_file)
    bakery.write("templates/mastodon.j2", "{{ text }}\n{% include '_footer.j2' %}\n")
    (bakery.root / "content/posts/2026/12/leak.md").symlink_to(secret_file)
    git(bakery.root, "add", "-A")
    git(bakery.root, "commit", "-qm", "hostile")
    result = social(bakery.root, "preview", "--now", NOW, "--changed", "HEAD~1..HEAD")
    assert "`file-is-link` `templates/_footer.j2` line 1: templates/\\_footer.j2 is a symbolic link" \
        in result.output
    assert "`content/posts/2026/12/leak.md` cannot be read: content/posts/2026/12/leak.md is a symbolic " \
        "link" in result.output
    assert CANARY not in result.output

"""Link cards kept with the content: `social linkcards` reads each post's link once; previews show them."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.content.linkcards import LINKCARDS_FILE, load_link_cards
from tests.fakes.bluesky import FakeWebsite, og_page


@pytest.fixture
def site():
    with FakeWebsite() as fake:
        yield fake


def png() -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (60, 30), "wheat").save(data, "PNG")
    return data.getvalue()


def linkcards(repo, *args: str):
    return CliRunner().invoke(cli, ["linkcards", "--root", str(repo.root), *args])


def post_linking(repo, slug: str, url: str) -> None:
    repo.post(slug, f"publish_at: 2026-12-05 10:00\nchannels: [mastodon]\nlink: {url}\n")


def test_a_link_is_read_once_and_kept_with_its_picture(repo, site):
    site.page("/cake.png", png(), "image/png")
    url = site.page("/winter", og_page("Winter cakes &amp; more", "Three tiers", "/cake.png"))
    post_linking(repo, "cake", url)
    first = linkcards(repo)
    assert first.exit_code == 0, first.output
    assert f"✓ {url}: Winter cakes & more (with its picture)" in first.output
    stored = yaml.safe_load((repo.root / LINKCARDS_FILE).read_text(encoding="utf-8"))
    card = stored[url]
    assert card["title"] == "Winter cakes & more" and card["description"] == "Three tiers"
    assert card["image"].startswith("media/linkcards/") and card["image"].endswith(".png")
    assert (repo.root / "content" / card["image"]).read_bytes() == png()
    requests = len(site.requests)
    again = linkcards(repo, "--format", "json")
    assert json.loads(again.output)["cards"][0]["state"] == "kept"
    assert len(site.requests) == requests, "a stored card is not read again"
    linkcards(repo, "--refresh")
    assert len(site.requests) > requests


@pytest.mark.parametrize("picture", [
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml"),
    (b"<html>not a picture</html>", "image/png"),
], ids=["svg", "html-as-png"])
def test_only_real_pictures_are_kept(repo, site, picture):
    site.page("/pic", picture[0], picture[1])
    url = site.page("/p", og_page("Cakes", "Tiers", "/pic"))
    post_linking(repo, "cake", url)
    assert linkcards(repo).exit_code == 0
    card = yaml.safe_load((repo.root / LINKCARDS_FILE).read_text(encoding="utf-8"))[url]
    assert card["title"] == "Cakes" and "image" not in card
    assert not (repo.root / "content" / "media" / "linkcards").exists()


def test_a_page_that_cannot_be_read_is_reported_and_left_out(repo, site):
    url = site.url + "/missing"
    post_linking(repo, "cake", url)
    result = linkcards(repo)
    assert result.exit_code == 0 and f"✗ {url}: the page could not be read" in result.output
    assert not (repo.root / LINKCARDS_FILE).exists()


def test_problems_in_the_file_are_findings_with_their_line(repo):
    repo.write("content/media/ok.png", "")
    (repo.root / "content/media/ok.png").write_bytes(png())
    repo.write(LINKCARDS_FILE, """\
        https://a.example/: {title: A, image: media/ok.png}
        https://b.example/: just text
        https://c.example/:
          title: C
          image: media/missing.png
        """)
    cards, images, findings = load_link_cards(repo.root)
    assert set(cards) == {"https://a.example/", "https://c.example/"}
    assert images["https://a.example/"].width == 60
    assert [(f.line, f.code) for f in findings] == [(2, "linkcards-invalid"), (5, "media-missing")]
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json"])
    codes = {(e["file"], e["line"], e["code"]) for e in json.loads(result.output)["errors"]}
    assert {(LINKCARDS_FILE, 2, "linkcards-invalid"), (LINKCARDS_FILE, 5, "media-missing")} <= codes


@pytest.mark.parametrize("key", ["javascript:alert(1)", "data:text/html,hi", "ftp://a.example/", "a.example/page",
                                 "12", "https://"])
def test_an_entry_for_something_that_is_no_web_link_is_refused_at_its_line(repo, key):
    repo.write(LINKCARDS_FILE, f"https://a.example/: {{title: A}}\n{json.dumps(key)}: {{title: B}}\n")
    cards, _images, findings = load_link_cards(repo.root)
    assert set(cards) == {"https://a.example/"}
    assert [(f.line, f.code) for f in findings] == [(2, "linkcards-invalid")]
    assert "http" in findings[0].message

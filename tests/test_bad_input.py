"""The bad-input corpus (tests/corpus/cases.yml), run by one shared runner.

Each case is a copy of tests/corpus/base plus the case's files. `social validate`
must report exactly the expected errors, in every output format, with the right
exit code and without a traceback.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from PIL import Image

from pipeline.cli import cli

CORPUS = Path(__file__).parent / "corpus"
PROJECT = Path(__file__).resolve().parent.parent  # its templates/ are the defaults
CASES = yaml.safe_load((CORPUS / "cases.yml").read_text(encoding="utf-8"))
CONFIG_FILE = "content/channels.yml"
VALID_FRONT = "---\nchannels: [mastodon]\npublish_at: 2026-12-01 09:30\n"


def image_bytes(kind: str, size: tuple[int, int] = (40, 30)) -> bytes:
    """A real, small image that Pillow wrote."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 160, 90)).save(buffer, kind)
    return buffer.getvalue()


def _truncated_png() -> bytes:
    # The signature survives, the IHDR chunk with the size does not.
    return image_bytes("PNG")[:16]


def _zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("menu.txt", "Bread, cake, stollen")
    return buffer.getvalue()


def _ten_megabyte_post() -> bytes:
    head = (VALID_FRONT + "---\n").encode()
    return head + b"x" * (10_000_000 - len(head))


def _long_media_name_post() -> bytes:
    path = "media/" + "c" * 300 + ".jpg"
    return (VALID_FRONT + f"media:\n  - path: {path}\n    alt: A cake\n---\nHi.\n").encode()


def _alias_string_bomb() -> bytes:
    # 106 kB on disk, 100 kB repeated through aliases: once 1 GB written by the site
    aliases = ", ".join(["*big"] * 20)
    return (VALID_FRONT + f"title: &big {'x' * 100_000}\ntags: [{aliases}]\n---\nHi.\n").encode()


def _alias_value_bomb() -> bytes:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    return ("---\n" + "\n".join(lines) + "\n" + VALID_FRONT.removeprefix("---\n") + "---\nHi.\n").encode()


def _long_file_name_post() -> bytes:
    return (VALID_FRONT + "---\nHi.\n").encode()


BUILDERS: dict[str, Callable[[], bytes]] = {
    "png": lambda: image_bytes("PNG"),
    "jpeg": lambda: image_bytes("JPEG"),
    "truncated-png": _truncated_png,
    "zip-archive": _zip_archive,
    "ten-megabyte-post": _ten_megabyte_post,
    "post-with-a-300-character-media-name": _long_media_name_post,
    "alias-string-bomb": _alias_string_bomb,
    "alias-value-bomb": _alias_value_bomb,
    "valid-post": _long_file_name_post,
}


def build_repo(root: Path, files: dict) -> Path:
    """Copy base/ and the default templates, add images, then write `files` (see cases.yml)."""
    shutil.copytree(CORPUS / "base", root, dirs_exist_ok=True)
    shutil.copytree(PROJECT / "templates", root / "templates", dirs_exist_ok=True)
    media = root / "content" / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / "winter-cake.jpg").write_bytes(image_bytes("JPEG"))
    (media / "logo.png").write_bytes(image_bytes("PNG", (64, 64)))
    for relative, spec in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            path.write_bytes(spec.encode("utf-8"))
        elif "symlink" in spec:
            path.symlink_to(spec["symlink"])
        elif "make" in spec:
            path.write_bytes(BUILDERS[spec["make"]]())
        else:
            path.write_bytes(spec["text"].encode(spec["encoding"]))
    return root


def invoke(root: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), *args])
    # CliRunner catches what would be a traceback; a SystemExit is the normal end.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"validate crashed: {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


def expected_exit(case: dict) -> int:
    if "exit" in case:
        return case["exit"]
    files = {item.get("file", case.get("file")) for item in case["expect"]}
    if CONFIG_FILE in files:
        return 2
    return 1 if case["expect"] else 0


def matches(expected: dict, actual: dict, default_file: str | None) -> bool:
    fragments = expected["message_contains"]
    fragments = [fragments] if isinstance(fragments, str) else fragments
    return (
        actual["file"] == expected.get("file", default_file)
        and actual["line"] == expected["line"]
        and ("column" not in expected or actual["column"] == expected["column"])
        and actual["code"] == expected["code"]
        and all(fragment in actual["message"] for fragment in fragments)
    )


def test_corpus_has_enough_distinct_cases():
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(names) >= 45


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_bad_input(case: dict, tmp_path: Path) -> None:
    root = build_repo(tmp_path / "repo", case.get("files", {}))
    result = invoke(root, "--format", "json")
    report = json.loads(result.output)
    errors = report["errors"]

    unmatched = list(errors)
    for expected in case["expect"]:
        found = next((a for a in unmatched if matches(expected, a, case.get("file"))), None)
        assert found is not None, (
            f"expected {expected} among the reported errors:\n{json.dumps(errors, indent=2)}"
        )
        unmatched.remove(found)
    assert not unmatched, f"unexpected errors:\n{json.dumps(unmatched, indent=2)}"
    assert report["warnings"] == [], "no case expects warnings"
    assert report["ok"] is not bool(case["expect"])
    assert errors == sorted(errors, key=lambda e: (e["file"], e["line"], e["column"]))
    assert result.exit_code == expected_exit(case), result.output

    outputs = [result.output]
    for output_format in ("text", "github"):
        other = invoke(root, "--format", output_format)
        assert other.exit_code == result.exit_code
        outputs.append(other.output)
    for secret in case.get("never_shown", []):
        for output in outputs:
            assert secret not in output

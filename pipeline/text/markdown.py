"""Markdown to the text each network shows, in the network's own `TextStyle`.

`PLAIN` is for networks that show no markup at all (most of them): emphasis is
dropped, `[label](url)` becomes `label (url)`, lists get bullets. A network that
shows markup declares its own style in its module (Discord's Markdown, Slack's
mrkdwn). Line breaks inside a paragraph are kept: on social networks a line break
is meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache


def spelled_out_link(label: str, href: str) -> str:
    """`label (https://…)`, or the URL alone when the label is the URL or empty."""
    bare = re.sub(r"^https?://", "", href).rstrip("/")
    if label.strip() in (href, bare, bare + "/") or not label.strip():
        return href
    return f"{label} ({href})"


def _unchanged(text: str) -> str:
    return text


@dataclass(frozen=True)
class TextStyle:
    """How a network shows Markdown: its markers for bold and italics, links, bullets, escaping."""

    name: str
    strong: str = ""
    emphasis: str = ""
    #: the marker kept around `inline code` ("" drops it)
    code: str = ""
    bullet: str = "• "
    link: Callable[[str, str], str] = spelled_out_link
    #: applied to plain text (not to markup the style writes itself)
    escape: Callable[[str], str] = _unchanged


PLAIN = TextStyle("plain")
_MARKUP = re.compile(r"[*_\[\]`<>&\\!]|^\s*(?:[-+*>#]|\d+[.)]|\s{4}|\t)|^\s*$\n^\s{4}", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


@cache
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"breaks": True, "html": False}).disable(["html_block", "html_inline"])


@lru_cache(maxsize=4096)  # a post goes to several channels of one style: convert it once
def to_text(markdown: str, style: TextStyle = PLAIN) -> str:
    """The text of `markdown` as a network with `style` shows it."""
    if style.escape is _unchanged and not _MARKUP.search(markdown):
        return _plain_paragraphs(markdown)
    return _Renderer(style).render(_parser().parse(markdown))


def _plain_paragraphs(text: str) -> str:
    """What the full renderer gives for text without any Markdown syntax, only faster."""
    paragraphs = []
    for block in _BLANK_LINES.split(text.strip()):
        lines = [line.strip() for line in block.split("\n")]
        paragraphs.append("\n".join(line for line in lines if line))
    return "\n\n".join(p for p in paragraphs if p)


class _Renderer:
    def __init__(self, style: TextStyle) -> None:
        self.style = style

    def render(self, tokens) -> str:
        blocks: list[str] = []
        lists: list[list[int]] = []  # a stack of [ordered, counter]
        quote = 0
        item_prefix = ""
        for token in tokens:
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                start = int(token.attrGet("start") or 1)
                if not lists:
                    blocks.append("")  # a list is one block: its items on consecutive lines
                lists.append([kind == "ordered_list_open", start])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif kind == "list_item_open":
                ordered, counter = lists[-1]
                indent = "  " * (len(lists) - 1)
                item_prefix = indent + (f"{counter}. " if ordered else self.style.bullet)
                lists[-1][1] += 1
            elif kind == "blockquote_open":
                quote += 1
            elif kind == "blockquote_close":
                quote -= 1
            elif kind == "inline":
                text = self.inline(token.children or [])
                if item_prefix:
                    text, item_prefix = item_prefix + text, ""
                self._add(blocks, text, quote, in_list=bool(lists))
            elif kind in ("fence", "code_block"):
                self._add(blocks, token.content.rstrip("\n"), quote, in_list=bool(lists))
            elif kind == "hr":
                self._add(blocks, "———", quote, in_list=False)
        text = "\n\n".join(block for block in blocks if block).strip()
        return "\n".join(line.rstrip() for line in text.split("\n"))

    @staticmethod
    def _add(blocks: list[str], text: str, quote: int, in_list: bool) -> None:
        if quote:
            text = "\n".join("> " * quote + line for line in text.split("\n"))
        if in_list:
            blocks[-1] += ("\n" if blocks[-1] else "") + text
            return
        blocks.append(text)

    def inline(self, children) -> str:
        out: list[str] = []
        links: list[tuple[int, str]] = []
        for child in children:
            kind = child.type
            if kind == "text":
                out.append(self.style.escape(child.content))
            elif kind == "code_inline":
                out.append(f"{self.style.code}{child.content}{self.style.code}")
            elif kind in ("softbreak", "hardbreak"):
                out.append("\n")
            elif kind in ("strong_open", "strong_close"):
                out.append(self.style.strong)
            elif kind in ("em_open", "em_close"):
                out.append(self.style.emphasis)
            elif kind == "link_open":
                links.append((len(out), child.attrGet("href") or ""))
            elif kind == "link_close":
                start, href = links.pop()
                label = "".join(out[start:])
                del out[start:]
                out.append(self.style.link(label, href))
            elif kind == "image":
                continue  # images come from front matter `media`, with alt text
        return "".join(out)

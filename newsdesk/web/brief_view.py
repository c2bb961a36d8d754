"""A story's brief as HTML whose numbered citations open the cited passage of the report.

The store keeps the brief as Markdown (`newsdesk.publish.brief` writes it): bullet lines whose
claims end in `[n]`, and a Sources list whose entries give each citation's article id and
character offsets. The desk turns that Markdown into HTML itself rather than showing the
stored HTML, because every word of the brief comes from untrusted article text: each piece
is escaped here and the only markup is the little this module writes. A citation becomes
a link to the article view with the cited offsets, where the span is highlighted.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape

_SOURCE = re.compile(
    r"\((?:undated|\d{4}-\d{2}-\d{2}); article (?P<id>[^\s,]+), "
    r"chars (?P<start>\d+)–(?P<end>\d+)\): "
)
"""Where a Sources entry names its passage, as `newsdesk.publish.brief` writes it."""
_INLINE = re.compile(r"\\(?P<esc>[<>\\`*_\[\]])|\[(?P<ref>\d+)\]|\*\*(?P<bold>.+?)\*\*")
"""Markdown escapes, citation references and bold: all the inline syntax a brief uses."""


@dataclass(slots=True, frozen=True)
class Citation:
    """One numbered source of the brief: the passage of a report it rests on."""

    n: int
    article_id: str
    start: int
    end: int

    @property
    def href(self) -> str:
        query = urlencode({"start": self.start, "end": self.end})
        return f"/articles/{quote(self.article_id, safe='')}?{query}#cited"


def citations(brief_md: str, article_ids: Collection[str]) -> dict[int, Citation]:
    """Numbered citations from the brief's Sources list, kept only for the story's reports.

    Titles and quotes in an entry are untrusted text and could imitate the passage
    notation, so an entry's first notation naming one of the story's own reports wins,
    and anything else is left as plain text.
    """
    out: dict[int, Citation] = {}
    in_sources = False
    for line in brief_md.splitlines():
        if line.startswith("## "):
            in_sources = line[3:].strip() == "Sources"
            continue
        head = re.match(r"(\d+)\. ", line)
        if not in_sources or head is None:
            continue
        for m in _SOURCE.finditer(line):
            start, end = int(m["start"]), int(m["end"])
            if m["id"] in article_ids and start < end:
                n = int(head[1])
                out[n] = Citation(n, m["id"], start, end)
                break
    return out


def render_brief(brief_md: str, article_ids: Collection[str]) -> Markup:
    """Escaped HTML of the brief, each `[n]` and each source linked to its cited passage.

    The first-level title is left out: the story page already shows the story's title.
    """
    cites = citations(brief_md, article_ids)
    out: list[str] = []
    open_list: str | None = None

    def close_list() -> None:
        nonlocal open_list
        if open_list:
            out.append(f"</{open_list}>")
            open_list = None

    def start_list(tag: str, cls: str) -> None:
        nonlocal open_list
        if open_list != tag:
            close_list()
            out.append(f'<{tag} class="{cls}">')
            open_list = tag

    section = ""
    for line in brief_md.splitlines():
        if not line.strip() or line.startswith("# "):
            close_list()
            continue
        if line.startswith("## "):
            close_list()
            section = line[3:].strip()
            out.append(f"<h3>{_inline(section, cites)}</h3>")
            continue
        if line.startswith("- "):
            start_list("ul", "brief-lines")
            out.append(f"<li>{_inline(line[2:], cites)}</li>")
            continue
        numbered = re.match(r"(\d+)\. (.*)", line)
        if numbered and section == "Sources":
            start_list("ol", "citations")
            n = int(numbered[1])
            cite = cites.get(n)
            body = _inline(numbered[2], {})
            if cite is not None:
                body += Markup(f' <a class="source" href="{escape(cite.href)}">open passage</a>')
            out.append(f'<li id="cite-{n}" value="{n}">{body}</li>')
            continue
        close_list()
        out.append(f"<p>{_inline(line, cites)}</p>")
    close_list()
    return Markup("\n".join(out))


def _inline(text: str, cites: dict[int, Citation]) -> Markup:
    """One line's inline Markdown as escaped HTML: escapes undone, refs linked, bold kept."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[pos : m.start()]))
        pos = m.end()
        if m["esc"] is not None:
            out.append(escape(m["esc"]))
        elif m["bold"] is not None:
            out.append(f"<strong>{_inline(m['bold'], cites)}</strong>")
        else:
            cite = cites.get(int(m["ref"]))
            if cite is None:
                out.append(escape(m[0]))
            else:
                out.append(
                    f'<a class="cite" href="{escape(cite.href)}" '
                    f'title="{escape(f"article {cite.article_id}, chars {cite.start}–{cite.end}")}"'
                    f">[{cite.n}]</a>"
                )
    out.append(escape(text[pos:]))
    return Markup("".join(out))

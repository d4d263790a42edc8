"""The Markdown engine: markdown-it-py with raw HTML off, our plugins and our block syntax.

One configured parser per process; ``build_parser()`` makes a fresh one for tests.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .errors import Problem
from .quiz import Question, Reflection, parse_question_block, parse_reflection_block
from .sanitize import is_safe_url, sanitize_html

CALLOUTS = {"tip": "Tip", "note": "Note", "warning": "Warning", "example": "Example"}
_BLOCK_OPEN_RE = re.compile(r"^(:{3,})[ \t]*(quiz|reflection)\b(.*)$")
_FORMATTER = HtmlFormatter(nowrap=True)  # CSS classes only: pages carry no inline styles
PYGMENTS_STYLE = "friendly"
MAX_HIGHLIGHT_CHARS = 20_000  # past this, plain escaped code: highlighting is not worth the wait


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _highlight(code: str, lang: str, _attrs: str) -> str:
    lexer = _lexer(lang.lower()) if lang else None
    lang_class = f' class="language-{_esc(lang)}"' if lang else ""
    if lexer is None or len(code) > MAX_HIGHLIGHT_CHARS:
        return f'<pre class="highlight"><code{lang_class}>{_esc(code)}</code></pre>\n'
    body = pygments_highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code{lang_class}>{body}</code></pre>\n'


def pygments_css(selector: str = ".highlight") -> str:
    """The stylesheet for highlighted code (served once by the site, never inlined)."""
    return HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(selector)


def _slugify(title: str) -> str:
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).strip().replace(" ", "-")
    return re.sub(r"-{2,}", "-", slug) or "section"


# -- the ::: quiz / ::: reflection block -------------------------------------------------


def _peerpath_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    if state.src[pos : pos + 3] != ":::":
        return False
    match = _BLOCK_OPEN_RE.match(state.src[pos : state.eMarks[start]])
    if not match or state.env.get("nested"):
        return False
    if silent:
        return True
    fence_len = len(match.group(1))
    close = None
    for line in range(start + 1, end):
        if state.sCount[line] < state.blkIndent:
            break  # the enclosing list item or quote ended first
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].strip()
        if len(text) >= fence_len and text == ":" * len(text):
            close = line
            break
    env = state.env
    file = env.get("file", "<lesson>")
    problems: list[Problem] = env.setdefault("problems", [])
    kind = match.group(2)
    if close is None:
        problems.append(
            Problem(
                file,
                start + 1,
                f"{kind} block is never closed",
                f"add a line '{match.group(1)}' after it",
            )
        )
        close = end
        stop = end
        for line in range(start + 1, end):
            if state.sCount[line] < state.blkIndent:
                close = stop = line
                break
    else:
        stop = close + 1
    body = state.getLines(start + 1, close, state.blkIndent, False).split("\n")
    if body and body[-1] == "":
        body.pop()
    md = state.md
    if kind == "quiz":
        number = env.setdefault("quiz_count", 0) + 1
        env["quiz_count"] = number
        item: Question | Reflection | None = parse_question_block(
            match.group(3),
            body,
            file,
            start + 1,
            number,
            problems,
            lambda s: render_nested(md, s),
            lambda s: sanitize_html(md.renderInline(s, {"nested": True})),
        )
    else:
        number = env.setdefault("reflection_count", 0) + 1
        env["reflection_count"] = number
        item = parse_reflection_block(
            match.group(3), body, file, start + 1, number, problems, lambda s: render_nested(md, s)
        )
    token = state.push(f"pp_{kind}", "", 0)
    token.map = [start, stop]
    token.meta = {"item": item}
    state.line = stop
    return True


def render_nested(md: MarkdownIt, text: str) -> str:
    """Render Markdown inside a quiz or reflection (no nested blocks), sanitised on its own.

    These fragments also travel outside the page (feedback the app shows after scoring).
    """
    return sanitize_html(md.render(text, {"nested": True}))


def _render_quiz(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    q: Question | None = tokens[idx].meta.get("item")
    if q is None:
        return ""
    base = f"kc-{_esc(q.id)}"
    points = "1 point" if q.points == 1 else f"{q.points} points"
    how = {
        "single": "Choose one answer.",
        "multiple": "Choose all answers that apply.",
        "short": "Type a short answer.",
    }[q.kind]
    out = [
        f'<form class="knowledge-check" id="{base}" method="post" data-question="{_esc(q.id)}" data-kind="{q.kind}">\n',
        f'<fieldset aria-describedby="{base}-prompt {base}-how">\n',
        f'<legend><span class="kc-label">Knowledge check</span> <span class="kc-points">{points}</span></legend>\n',
        f'<div class="kc-prompt" id="{base}-prompt">{q.prompt_html}</div>\n',
        f'<p class="kc-how" id="{base}-how">{how}</p>\n',
    ]
    if q.kind == "short":
        out.append(
            f'<label class="kc-answer" for="{base}-answer">Your answer</label>\n'
            f'<input type="text" class="kc-text" id="{base}-answer" name="q-{_esc(q.id)}" autocomplete="off" spellcheck="true">\n'
        )
    else:
        input_type = "radio" if q.kind == "single" else "checkbox"
        out.append('<div class="kc-options">\n')
        for opt in q.options:  # label only: correctness and feedback stay on the server
            oid = f"{base}-{opt.id}"
            out.append(
                f'<div class="kc-option"><input type="{input_type}" id="{oid}" name="q-{_esc(q.id)}" value="{opt.id}">'
                f'<label for="{oid}">{opt.html}</label></div>\n'
            )
        out.append("</div>\n")
    out.append(
        '<button type="submit" class="kc-submit">Check answer</button>\n'
        f'<div class="kc-feedback" id="{base}-feedback" role="status" aria-live="polite"></div>\n'
        "</fieldset>\n</form>\n"
    )
    return "".join(out)


def _render_reflection(
    self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any
) -> str:
    r: Reflection | None = tokens[idx].meta.get("item")
    if r is None:
        return ""
    base = f"reflect-{_esc(r.id)}"
    return (
        f'<form class="reflection" id="{base}" method="post" data-reflection="{_esc(r.id)}">\n'
        f'<fieldset>\n<legend><span class="kc-label">Reflection</span></legend>\n'
        f'<div class="reflection-prompt" id="{base}-prompt">{r.prompt_html}</div>\n'
        f'<label class="visually-hidden" for="{base}-text">Your reflection</label>\n'
        f'<textarea id="{base}-text" name="r-{_esc(r.id)}" rows="5" maxlength="5000" aria-describedby="{base}-prompt" spellcheck="true"></textarea>\n'
        '<p class="reflection-note">Only you and the people you choose can see this.</p>\n'
        '<button type="submit" class="kc-submit">Save reflection</button>\n'
        f'<div class="kc-feedback" id="{base}-feedback" role="status" aria-live="polite"></div>\n'
        "</fieldset>\n</form>\n"
    )


# -- callouts, images, tables -----------------------------------------------------------


def _callout_renderer(name: str):
    label = CALLOUTS[name]

    def render(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
        token = tokens[idx]
        if token.nesting == -1:
            return "</aside>\n"
        title = token.info.strip()[len(name) :].strip()
        heading = f"{label}: {_esc(title)}" if title else label
        return (
            f'<aside class="callout callout-{name}" role="note" aria-label="{_esc(label)}">\n'
            f'<p class="callout-title">{heading}</p>\n'
        )

    return render


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("loading", "lazy")
    token.attrSet("decoding", "async")
    return self.image(tokens, idx, options, env)


def _table_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    # a focusable region lets keyboard users scroll a wide table on a phone
    return '<div class="table-wrap" role="region" aria-label="Table" tabindex="0">\n<table>\n'


def _table_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "</table>\n</div>\n"


def _task_item_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    # A task-list checkbox is wrapped with its text in a <label>, so it has an accessible
    # name (markdown-it's own rendering leaves it unlabelled: an axe "critical" violation).
    token = tokens[idx]
    out = self.renderToken(tokens, idx, options, env)
    if token.meta and "checked" in token.meta:
        checked = ' checked=""' if token.meta["checked"] else ""
        out += f'<label><input class="task-list-item-checkbox" disabled="" type="checkbox"{checked}> '
    return out


def _task_item_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    level = tokens[idx].level
    for j in range(idx - 1, -1, -1):
        opener = tokens[j]
        if opener.type == "list_item_open" and opener.level == level:
            if opener.meta and "checked" in opener.meta:
                return "</label>" + self.renderToken(tokens, idx, options, env)
            break
    return self.renderToken(tokens, idx, options, env)


def build_parser() -> MarkdownIt:
    """A new parser with every lesson feature switched on and raw HTML switched off."""
    md = MarkdownIt(
        "commonmark",
        {
            "html": False,
            "highlight": _highlight,
            "alerts": True,
            "tasklists": True,
            "tasklists_editable": False,
        },
    )
    md.enable(["table", "strikethrough"])
    md.validateLink = lambda url: is_safe_url(url, image=True)
    md.use(front_matter_plugin)
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_slugify)
    md.block.ruler.before(
        "fence",
        "peerpath_block",
        _peerpath_block,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    for name in CALLOUTS:
        md.use(container_plugin, name=name, render=_callout_renderer(name))
    md.add_render_rule("pp_quiz", _render_quiz)
    md.add_render_rule("list_item_open", _task_item_open)
    md.add_render_rule("list_item_close", _task_item_close)
    md.add_render_rule("pp_reflection", _render_reflection)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


_PARSER: MarkdownIt | None = None


def parser() -> MarkdownIt:
    """The shared parser (built on first use; markdown-it keeps no state between calls)."""
    global _PARSER
    if _PARSER is None:
        _PARSER = build_parser()
    return _PARSER

"""How outside text reaches a document: one cleaning rule, one escaping function per context.

Every string a template shows - the product's wording and names, the case's
holder and policy number, the Outcome's reasons - comes from a file someone
else wrote, and is treated as hostile. Each reaches the HTML through exactly
one path, chosen by where it lands:

* **clean** (`clean_text`, every context): characters that have no place in
  a printed document are taken out before escaping. Carriage return, form
  feed, vertical tab, NEL and the Unicode line and paragraph separators
  become a newline (HTML white space); the other C0 and C1 control
  characters, lone surrogates and the noncharacters U+FDD0..U+FDEF,
  U+FFFE and U+FFFF are dropped. Tab and newline stay.
* **HTML text and attribute values**: jinja2's autoescape, with `clean_text`
  and `breakable` as the environment's `finalize`, so no ``{{ ... }}`` can
  skip them (a 300-character policy number wraps instead of running off the
  page). The templates put interpolations only in element content or in
  double-quoted attribute values (``tests/test_hostile_render.py`` reads the
  templates and insists), where escaping ``& < > " '`` is enough.
* **document metadata** (`one_line`, a filter that escapes): ``<title>``
  and ``<meta content>``, which weasyprint copies into the PDF's Info
  dictionary and XMP packet; white space runs become one space, so a title
  is one line in every viewer.
* **CSS string** (`css_string`, a filter): the running header and the page
  footer inside ``<style>``; every quote, backslash, angle bracket,
  ampersand and control character becomes a CSS hex escape, so a string can
  neither end early nor close the ``<style>`` element.
* **CSS number** (`css_number`): the page counters in ``<style>``; anything
  but an integer is refused.

`Markup` - text the autoescape trusts - is built only in this module (a test
insists): for our own stylesheet (`stylesheet`) and for the redline's
``<del>``/``<ins>`` pieces (`tagged`), whose text is escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..resources import templates_folder

# what `clean_text` changes: C0/C1 controls but tab and newline, separators,
# lone surrogates and noncharacters
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
                      "\ufdd0-\ufdef\ufffe\uffff]")
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff"
                      "\ufdd0-\ufdef\ufffe\uffff]")
_CSS_ESCAPED = re.compile("[\x00-\x1f\x7f\\\\\"'<>&]")
_SPACES = re.compile("[\t\n ]+")
# a run of characters a line cannot break inside (not white space, not CJK, which
# breaks anywhere), longer than a narrow table cell holds: a zero-width space every
# LONG_RUN characters lets it wrap; pdftotext and copy-paste do not see it
LONG_RUN = 30
_UNBREAKABLE = re.compile("[^\\s\u200b\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
                          f"{{{LONG_RUN + 1},}}")
REDLINE_TAGS = {"delete": "del", "insert": "ins", "equal": None}


def clean_text(text: str) -> str:
    """`text` without the characters no document may print (see the module docstring)."""
    if not _UNCLEAN.search(text):
        return text
    return _DROPPED.sub("", _BREAKS.sub("\n", text))


def breakable(text: str) -> str:
    """`text` with a zero-width space every `LONG_RUN` characters of a run that cannot wrap."""
    if len(text) <= LONG_RUN:
        return text
    return _UNBREAKABLE.sub(lambda m: "\u200b".join(
        m.group()[i:i + LONG_RUN] for i in range(0, len(m.group()), LONG_RUN)), text)


def one_line(text: Any) -> Markup:
    """Text for document metadata (escaped): cleaned, white space runs as one space, trimmed."""
    return escape(_SPACES.sub(" ", clean_text(str(text))).strip())


def css_string(text: Any) -> Markup:
    """Text as the inside of a double-quoted CSS string in a ``<style>`` element."""
    return Markup(_CSS_ESCAPED.sub(lambda m: f"\\{ord(m.group()):x} ", clean_text(str(text))))


def css_number(value: Any) -> Markup:
    """An integer inside ``<style>`` (a page counter); anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a CSS number must be an integer, not {type(value).__name__}")
    return Markup(str(value))


def stylesheet(css: str) -> Markup:
    """Our own stylesheet (`templates/policy.css`), inlined in ``<style>`` as it is."""
    if "</" in css:
        raise ValueError("a stylesheet must not contain '</' (it would end <style>)")
    return Markup(css)


def tagged(pieces: Iterable[tuple[str, str]]) -> Markup:
    """Redline pieces (op, text) as HTML: each text escaped, changes in <del>/<ins>."""
    out = []
    for op, text in pieces:
        tag = REDLINE_TAGS[op]
        body = escape(clean_text(text))
        out.append(f"<{tag}>{body}</{tag}>" if tag else str(body))
    return Markup("".join(out))


def _finalize(value: Any) -> Any:
    """Every ``{{ ... }}`` value, before autoescape: outside text is cleaned, long runs
    made breakable."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return breakable(clean_text(value))
    return value


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one jinja2 environment documents and reports are laid out with."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_folder())),
                             autoescape=True, finalize=_finalize,
                             undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["css_string"] = css_string
    env.filters["css_number"] = css_number
    env.filters["one_line"] = one_line
    return env


def _cleaned(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) and not isinstance(value, Markup) \
        else value


@lru_cache(maxsize=4)
def page_environment(folder: str) -> jinja2.Environment:
    """The environment web pages (the server's workbench, templates in `folder`) are drawn
    with: autoescaped, outside text cleaned like a document's, but never broken up (a
    form's values must come back as they went out)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                              finalize=_cleaned, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)

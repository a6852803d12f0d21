"""weasyprint, as every document uses it: local files only, parsed once per process.

The stylesheet (`templates/policy.css`) is parsed once and the font
configuration made once per process (`stylesheet`, `font_config`); the URL
fetcher serves only files under `templates/` and refuses everything else
(`local_fetcher`, `REFUSED`). `page_content` measures how full a laid-out
page is.
weasyprint is slow to import: it is imported only when a document is made.

`shortcuts` makes three of weasyprint's hot spots cheaper, each giving the
result it gave before, so every PDF keeps its bytes (tests/test_render_speed.py
holds them to weasyprint's own):
- a line of text is broken once per process: `split_first_line` is a function
  of the text, the width and the style's text properties, and the same words
  (labels, wording, headings) come back in every document and in every table
  cell measured twice; each caller gets its own copy of the (inactive) Pango
  layout, which drawing re-activates;
- the styles of pseudo-elements are cascaded and computed when a box asks for
  them: the user-agent stylesheet gives every element six (::marker,
  ::footnote-call, ...), of which a policy uses the markers of its list items;
- the HTML tokenizer's cache of regular expressions, which tinyhtml5 files
  under the wrong key and so never hits;
- `resolve_percentages` (~900 calls a policy, two function calls for each of
  its 17 lengths) with the lengths resolved in one loop, as weasyprint does;
- a strut (line height and baseline of a font) looked up by a tuple of the
  font's properties, not by the string of them weasyprint builds each time;
- a line of text is shaped for drawing once per process and thread: the
  active Pango layout weasyprint makes again for every text box it draws is
  kept, by the text and the same properties as a line break.
"""

from __future__ import annotations

import hashlib
import logging
import math
import operator
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..resources import templates_folder

LOGGER = logging.getLogger("configurator.render")

REFUSED: list[str] = []  # every URL a document tried to fetch and was refused


def base_url() -> str:
    return templates_folder().as_uri() + "/"


def identifier(*texts: str) -> bytes:
    """The PDF file identifier: a hash of the HTML, so equal input gives equal bytes."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32].encode("ascii")


def lay_out(html: str, variant: str | None) -> Any:
    """`html` laid out in pages (a weasyprint `Document`), with the policy stylesheet."""
    import weasyprint

    shortcuts()

    return weasyprint.HTML(string=html, base_url=base_url(), url_fetcher=local_fetcher()
                           ).render(font_config=font_config(), pdf_variant=variant,
                                    stylesheets=[stylesheet()])


def tagged_variant(variant: str | None) -> bool:
    """Whether weasyprint tags a PDF of this variant (PDF/UA, PDF/A-a)."""
    if variant is None:
        return False
    from weasyprint.pdf import VARIANTS

    return bool(VARIANTS[variant][1].get("pdf_tags"))


def page_content(page: Any) -> tuple[float, float]:
    """How far down `page`'s content area its content reaches, and that area's height (px)."""
    from weasyprint.formatting_structure import boxes

    box = page._page_box
    top = box.content_box_y()
    bottom = top
    todo = [child for child in box.children if not isinstance(child, boxes.MarginBox)]
    while todo:
        child = todo.pop()
        if isinstance(child, (boxes.LineBox, boxes.ReplacedBox, boxes.TableBox)):
            bottom = max(bottom, child.position_y + child.margin_height())
        if not isinstance(child, boxes.LineBox):
            todo.extend(getattr(child, "children", ()))
    return bottom - top, box.height


@lru_cache(maxsize=1)
def css_text() -> str:
    return (templates_folder() / "policy.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def stylesheet() -> Any:
    """policy.css parsed once per process."""
    import weasyprint

    return weasyprint.CSS(string=css_text(), base_url=base_url(), url_fetcher=local_fetcher(),
                          font_config=font_config())


@lru_cache(maxsize=1)
def font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def local_fetcher() -> Any:
    """A url_fetcher that serves files under `templates/` and refuses everything else.

    Refused URLs are appended to `REFUSED`, so a test can assert that no
    remote fetch was even attempted; a refusal also stops the render.
    """
    return _local_fetcher_class()()


@lru_cache(maxsize=1)
def _local_fetcher_class() -> type:
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    root = templates_folder().resolve()

    class LocalFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root):
                REFUSED.append(url)
                LOGGER.error("refused to fetch %s: documents only use files in %s", url, root)
                raise PermissionError(f"refused to fetch {url}")
            return super().fetch(url, headers)

    return LocalFetcher


# ------------------------------------------------------------ shortcuts (see the docstring)

# every style property that breaking a line of text reads (weasyprint.text.line_break:
# split_first_line, Layout.setup / set_text, get_font_description, font_features)
TEXT_PROPERTIES = (
    "white_space", "font_size", "font_family", "font_style", "font_stretch", "font_weight",
    "font_variant_caps", "font_variation_settings", "direction", "font_language_override",
    "lang", "text_decoration_line", "font_kerning", "font_variant_ligatures",
    "font_variant_position", "font_variant_numeric", "font_variant_alternates",
    "font_variant_east_asian", "font_feature_settings", "word_spacing", "letter_spacing",
    "overflow_wrap", "tab_size", "hyphens", "hyphenate_limit_chars", "hyphenate_limit_zone",
    "hyphenate_character", "word_break")
MAX_LINES = 20_000  # lines kept (a policy breaks ~1,500 in its first language, ~1,250 more)
_LINES: dict[tuple, tuple] = {}
FONT_PROPERTIES = (  # what weasyprint.text.line_break.strut keys its cache on
    "font_family", "font_style", "font_stretch", "font_weight", "font_variant_ligatures",
    "font_variant_position", "font_variant_caps", "font_variant_numeric",
    "font_variant_alternates", "font_variant_east_asian", "font_feature_settings",
    "font_variation_settings", "font_language_override", "lang", "font_size", "line_height")
_STRUTS: dict[tuple, tuple] = {}
_ANCHORS: dict[int, tuple[Any, bool]] = {}  # id(declarations) -> (declarations, sets an anchor)
MAX_DRAWN = 2048  # active Pango layouts kept a thread (~650 lines drawn a policy and language)
_DRAWN = threading.local()


@lru_cache(maxsize=1)
def shortcuts() -> None:
    """Install the shortcuts (once per process)."""
    _memoised_line_breaks()
    _lazy_pseudo_styles()
    _html_regexes()
    _direct_percentages()
    _memoised_struts()
    _kept_text_layouts()


def _memoised_line_breaks() -> None:
    from weasyprint.layout import inline, preferred
    from weasyprint.text import fonts, line_break

    plain, layout_class = line_break.split_first_line, line_break.Layout
    text_key = operator.itemgetter(*TEXT_PROPERTIES)

    def split_first_line(text: str, style: Any, context: Any, max_width: Any,
                         justification_spacing: float, is_line_start: bool = True,
                         minimum: bool = False) -> tuple:
        key = (text, max_width, justification_spacing, is_line_start, minimum,
               style.font_config, text_key(style))
        try:
            found = _LINES.get(key)
        except TypeError:  # a property held in a set (text-decoration-line): not remembered
            return plain(text, style, context, max_width, justification_spacing,
                         is_line_start, minimum)
        if found is None:
            if len(_LINES) >= MAX_LINES:
                _LINES.clear()
            found = _LINES[key] = plain(text, style, context, max_width,
                                        justification_spacing, is_line_start, minimum)
        layout = layout_class.__new__(layout_class)  # drawing re-activates its own copy
        layout.__dict__.update(found[0].__dict__)
        return (layout, *found[1:])

    add_font_face = fonts.FontConfiguration.add_font_face

    def add_font_face_and_forget(self: Any, *args: Any, **kwargs: Any) -> Any:
        _LINES.clear()  # a new face may change how any text breaks
        return add_font_face(self, *args, **kwargs)

    fonts.FontConfiguration.add_font_face = add_font_face_and_forget
    for module in (line_break, inline, preferred):
        module.split_first_line = split_first_line


def _lazy_pseudo_styles() -> None:
    from weasyprint import css

    css.StyleFor = type("LazyPseudoStyles", (LazyPseudoStyles, css.StyleFor),
                        {"_css": css, "_precedence": staticmethod(css.declaration_precedence)})


class LazyPseudoStyles:
    """weasyprint's `StyleFor`, cascading a pseudo-element's declarations when asked for.

    Mixed into `weasyprint.css.StyleFor` by `_lazy_pseudo_styles`. The cascade
    of elements is weasyprint's, line for line (the same weights, the same key
    for sharing a computed style); a pseudo-element's matched declarations are
    kept and cascaded in the same order on first use. A pseudo-element whose
    declarations set an anchor is computed at once, as weasyprint does, so the
    document's targets are the same.
    """

    _css: Any
    _precedence: Any

    def __init__(self, html: Any, sheets: list, presentational_hints: bool, font_config: Any,
                 target_collector: Any):
        self._cascaded_styles: dict = {}
        self._computed_styles: dict = {}
        self.initial_page_sizes = {"box": None, "area": None}
        self._sheets = sheets
        self.font_config = font_config
        self._pending: dict[tuple, list] = {}
        self._anchored: set[tuple] = set()  # pending pseudo-elements whose rules set an anchor
        self._html, self._target_collector = html, target_collector
        self._css.PROGRESS_LOGGER.info("Step 3 - Applying CSS")
        declared = self._style_attributes(html, presentational_hints)
        shared: dict = {}
        for element in html.wrapper_element.iter_subtree():
            self._element(element, declared, shared)
        for key in [key for key in self._pending if key in self._anchored]:
            self._pseudo(*key)
        self._cascaded_styles.clear()

    @staticmethod
    def _anchors(declarations: Any) -> bool:
        """Whether `declarations` set an anchor (known per declarations object)."""
        found = _ANCHORS.get(id(declarations))
        if found is None or found[0] is not declarations:
            if len(_ANCHORS) >= MAX_LINES:
                _ANCHORS.clear()
            found = _ANCHORS[id(declarations)] = (
                declarations, any(name == "anchor" for name, _, _ in declarations))
        return found[1]

    def _cascade(self, style: dict, origin: str, layer_order: float, specificity: Any,
                 declarations: Any) -> None:
        precedence = self._precedence
        for name, values, importance in declarations:
            weight = (precedence(origin, importance), layer_order, specificity)
            old_weight = style.get(name, (None, None))[1]
            if old_weight is None or old_weight <= weight:
                style[name] = values, weight

    def _style_attributes(self, html: Any, presentational_hints: bool) -> dict:
        css, declared = self._css, {}
        for specificity, element, declarations, base_url in css.find_style_attributes(
                html.etree_element, presentational_hints, html.base_url):
            style = self._cascaded_styles.setdefault((element, None), {})
            declared[element] = tuple(declarations)
            self._cascade(style, "author", math.inf, specificity,
                          css.preprocess_declarations(base_url, declarations))
        return declared

    def _element(self, element: Any, declared: dict, shared: dict) -> None:
        computed_styles, html = self._computed_styles, self._html
        etree_element = element.etree_element
        parent = element.parent.etree_element if element.parent else None
        parent_id = id(computed_styles[parent, None]) if element.parent else None
        selectors_keys = []
        for sheet, origin, sheet_specificity in self._sheets:
            for selector in sheet.matcher.match(element):
                specificity, _order, pseudo_type, (declarations, layer) = selector
                layer_order = math.inf if layer is None else sheet.layers.index(layer)
                selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                specificity = sheet_specificity or specificity
                if pseudo_type is None:
                    style = self._cascaded_styles.setdefault((etree_element, None), {})
                    self._cascade(style, origin, layer_order, specificity, declarations)
                else:
                    self._pending.setdefault((etree_element, pseudo_type), []).append(
                        (origin, layer_order, specificity, declarations))
                    if self._anchors(declarations):
                        self._anchored.add((etree_element, pseudo_type))
        key = (parent_id, declared.get(etree_element), tuple(selectors_keys))
        if key in shared:
            computed_styles[etree_element, None] = shared[key]
        else:
            self.set_computed_styles(  # type: ignore[attr-defined]
                etree_element, root=html.etree_element, parent=parent,
                base_url=html.base_url, target_collector=self._target_collector)
            shared[key] = computed_styles[etree_element, None]

    def _pseudo(self, element: Any, pseudo_type: str) -> None:
        style: dict = {}
        for origin, layer_order, specificity, declarations in self._pending.pop(
                (element, pseudo_type)):
            self._cascade(style, origin, layer_order, specificity, declarations)
        html = self._html
        self._cascaded_styles[element, pseudo_type] = style
        try:
            self.set_computed_styles(  # type: ignore[attr-defined]
                element, pseudo_type=pseudo_type, root=html.etree_element, parent=element,
                base_url=html.base_url, target_collector=self._target_collector)
        finally:
            del self._cascaded_styles[element, pseudo_type]

    def __call__(self, element: Any, pseudo_type: str | None = None) -> Any:
        if pseudo_type is not None and (element, pseudo_type) in self._pending:
            self._pseudo(element, pseudo_type)
        return super().__call__(element, pseudo_type)  # type: ignore[misc]


def _html_regexes() -> None:
    """tinyhtml5's `chars_until` cache, keyed as it is looked up (it is stored by regex)."""
    from tinyhtml5 import inputstream

    class Regexes(dict):
        def __missing__(self, key: tuple) -> re.Pattern:
            characters, opposite = key
            regex = "".join([f"\\x{ord(character):02x}" for character in characters])
            if not opposite:
                regex = f"^{regex}"
            found = self[key] = re.compile(f"[{regex}]+")
            return found

    if type(getattr(inputstream, "characters_until_regex", None)) is dict:
        inputstream.characters_until_regex = Regexes(inputstream.characters_until_regex)


LENGTHS = ("margin_left", "margin_right", "margin_top", "margin_bottom", "padding_left",
           "padding_right", "padding_top", "padding_bottom", "width", "min_width", "max_width")
BORDERS = ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width")


def _direct_percentages() -> None:
    """weasyprint's `resolve_percentages`, with `percentage` inlined but for math functions.

    The order of the steps and every value are weasyprint's.
    """
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import absolute, block, column, grid, inline, page, percent, table
    from weasyprint.layout import float as floats

    percentage, adjust_box_sizing = percent.percentage, percent.adjust_box_sizing
    check_math, box_class, page_class = percent.check_math, boxes.Box, boxes.PageBox

    def used(value: Any, style: Any, refer_to: Any) -> Any:
        if value is None or value == "auto":
            return value
        unit = getattr(value, "unit", None)
        if unit is None:
            return percentage(value, style, refer_to)
        return refer_to * value.value / 100 if unit == "%" else value.value

    def resolve_percentages(box: Any, containing_block: Any) -> None:
        if isinstance(containing_block, box_class):
            cb_width, cb_height = containing_block.width, containing_block.height
        else:
            cb_width, cb_height = containing_block
        maybe_height = cb_height if isinstance(box, page_class) else cb_width
        style = box.style
        for name, refer_to in zip(LENGTHS, (cb_width, cb_width, maybe_height, maybe_height,
                                            cb_width, cb_width, maybe_height, maybe_height,
                                            cb_width, cb_width, cb_width), strict=True):
            setattr(box, name, used(style[name], style, refer_to))
        if box.min_width == "auto":
            box.min_width = 0
        if cb_height == "auto":
            height = style["height"]
            if height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                assert height.unit.lower() == "px"
                box.height = height.value
            box.min_height, box.max_height = (used(style["min_height"], style, 0),
                                              used(style["max_height"], style, math.inf))
        else:
            box.height, box.min_height, box.max_height = (
                used(style[name], style, cb_height) for name in ("height", "min_height",
                                                                 "max_height"))
        if box.min_height == "auto":
            box.min_height = 0
        collapse = style["border_collapse"] == "collapse"
        for name in BORDERS:
            if not (collapse and hasattr(box, name)):
                setattr(box, name, style[name])
        if style["box_sizing"] != "content-box":  # content-box: nothing to adjust
            adjust_box_sizing(box, "width")
            adjust_box_sizing(box, "height")

    for module in (percent, absolute, block, column, floats, grid, inline, page, table):
        module.resolve_percentages = resolve_percentages


def _memoised_struts() -> None:
    from weasyprint.css import computed_values, units
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    plain, font_key = line_break.strut, operator.itemgetter(*FONT_PROPERTIES)

    def strut(style: Any) -> tuple:
        key = (style.font_config, font_key(style))
        try:
            found = _STRUTS.get(key)
        except TypeError:  # a property held in a set or list: not remembered
            return plain(style)
        if found is None:
            if len(_STRUTS) >= MAX_LINES:
                _STRUTS.clear()
            found = _STRUTS[key] = plain(style)
        return found

    for module in (line_break, inline, units, computed_values):
        module.strut = strut


def _kept_text_layouts() -> None:
    """weasyprint's `draw_text`, drawing a text box with a kept, active Pango layout.

    Only for what a policy draws: no ellipsis. The kept layout is set up as
    weasyprint's `Layout.reactivate` would set up the box's own; the box's
    layout is then left as drawing leaves it (its text and line direction).
    """
    from weasyprint import draw
    from weasyprint.draw import text
    from weasyprint.text import line_break

    plain, text_key = text.draw_text, operator.itemgetter(*TEXT_PROPERTIES)

    class KeptLayout(line_break.Layout):
        def reactivate(self, style: Any) -> None:
            pass

        def deactivate(self) -> None:
            pass

    def draw_text(stream: Any, textbox: Any, offset_x: float, text_overflow: str,
                  *ellipsis: Any) -> None:
        layout, style = getattr(textbox, "pango_layout", None), textbox.style
        if layout is None or ellipsis != ("none",) or text_overflow == "ellipsis" or \
                not style["font_size"] or style["visibility"] != "visible":
            return plain(stream, textbox, offset_x, text_overflow, *ellipsis)
        kept = getattr(_DRAWN, "layouts", None)
        if kept is None or len(kept) >= MAX_DRAWN:
            kept = _DRAWN.layouts = {}
        key = (layout.text, layout.justification_spacing, style.font_config, text_key(style))
        try:
            active = kept.get(key)
        except TypeError:  # a property held in a set (text-decoration-line): drawn as is
            return plain(stream, textbox, offset_x, text_overflow, *ellipsis)
        if active is None:
            active = kept[key] = KeptLayout.__new__(KeptLayout)
            active.__dict__.update(layout.__dict__)
            line_break.Layout.reactivate(active, style)
        textbox.pango_layout = active
        try:
            plain(stream, textbox, offset_x, text_overflow, *ellipsis)
        finally:
            textbox.pango_layout = layout
        layout.text, layout.first_line_direction = active.text, active.first_line_direction
        return None

    for module in (text, draw):
        module.draw_text = draw_text

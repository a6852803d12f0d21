"""The shared pages of a policy, drawn once per process and replayed into every PDF.

weasyprint writes a PDF by painting each laid-out page into a fresh content
stream (`Page.paint`): the stream's operators, plus what the painting leaves
behind - the glyphs and widths of each font it used, the marked-content ids
that the tag tree (PDF/UA) maps to the page's boxes, and the graphics states
(alpha) it named. For the pages shared by every person (`paged.py`: guide,
contents, clauses), all of that depends only on the laid-out page, so it is
recorded once (`Drawing.record`) and each later PDF gets it back
(`Drawing.pages`): the page's operators are appended as recorded (one
pre-joined chunk), its marked content handed to the tag tree under the same
ids for the same boxes, and its states added. weasyprint still builds the
whole PDF itself - page objects, links, outlines, fonts, the tag tree - so the
document is the same as a painted one.

One care: weasyprint bakes each glyph's advance into the text operators as
the difference from the width its font records for that glyph, and a font
records the width the first time the document draws the glyph. So the PDF
starts from the fonts of the recording (`Drawing.fonts`: copies, with every
glyph the shared pages use and its width) and the personal pages draw on top,
reusing those widths: every operator agrees with the font's width array.

A page whose painting needs anything else - an image, a transparency group, a
pattern, a blend mode, a glyph missing from every font, a form field - is not
recorded; the shared pages are then painted as usual.
"""

from __future__ import annotations

import copy
import re
import zlib
from collections import OrderedDict
from functools import lru_cache
from typing import Any

SCALE = 0.75  # PDF points per CSS pixel (weasyprint's zoom 1)
DEFLATE_LEVEL = 6
MAX_SUBSETS = 16
_SUBSETS: OrderedDict[tuple, tuple[bytes, dict[str, Any]]] = OrderedDict()  # font subsets
_DEFLATED: dict[int, list[Any]] = {}  # id(subset) -> [subset, its deflated bytes or None]
_ALPHA_STATE = re.compile(r"[aA][0-9.e-]+\Z")


class Drawing:
    """The painting of a laid-out document's pages, recorded once (or None if it cannot be)."""

    def __init__(self, fonts: dict[Any, Any], pages: list[dict[str, Any]], tagged: bool):
        self._fonts = fonts
        self._pages = pages
        self.tagged = tagged

    @classmethod
    def record(cls, document: Any, tagged: bool) -> Drawing | None:
        """Paint `document`'s pages as `write_pdf` would, keeping what each leaves behind."""
        import pydyf
        from weasyprint.document import Page
        from weasyprint.pdf.stream import Stream

        fonts: dict[Any, Any] = {}
        pages = []
        for page in document.pages:
            if page.forms != {None: []}:
                return None
            states = pydyf.Dictionary({"ExtGState": pydyf.Dictionary(),
                                       "XObject": pydyf.Dictionary(),
                                       "Pattern": pydyf.Dictionary(),
                                       "Shading": pydyf.Dictionary(), "ColorSpace": None})
            images: dict[str, Any] = {}
            stream = Stream(fonts, _rectangle(page), states, images, {} if tagged else None,
                            document.color_profiles, document.output_intent, compress=True)
            stream.transform(d=-1, f=page.height * SCALE)
            prefix = list(stream.stream)
            Page.paint(page, stream, SCALE)
            if images or any(states[name] for name in ("XObject", "Pattern", "Shading")) or \
                    not all(_ALPHA_STATE.match(key) for key in states["ExtGState"]):
                return None
            ops = stream.stream[len(prefix):]
            # the operators themselves only for the first page, which may share its page
            # with the front (`merged_page`): its marked content is then renumbered
            pages.append({"prefix": prefix, "ops": None if pages else ops,
                          "mcids": [] if pages else _mcids(ops),
                          "joined": b"\n".join(pydyf._to_bytes(op) for op in ops) if ops else None,
                          "states": list(states["ExtGState"].items()),
                          "tags": list((stream._tags or {}).items())})
        if any(font.missing or font.used_in_forms for font in fonts.values()):
            return None
        for font in fonts.values():  # a font file (~20 MB for a CJK one) is not kept
            font.__dict__.pop("file_content", None)
            font.__class__ = _font_file_on_demand(type(font))
        return cls(fonts, pages, tagged)

    def fonts(self) -> dict[Any, Any]:
        """Fresh fonts for one PDF, holding every glyph (and width) the recorded pages use."""
        fresh = {}
        for key, font in self._fonts.items():
            mine = copy.copy(font)
            mine.widths = dict(font.widths)
            mine.to_unicode = dict(font.to_unicode)
            mine.missing = {}
            mine.variations = dict(font.variations)
            fresh[key] = mine
        return fresh

    def pages(self, document: Any) -> list[Any]:
        """`document`'s pages, each painting itself by replaying its recording."""
        replayed = _replayed_page_class()
        out = []
        for page, recorded in zip(document.pages, self._pages, strict=True):
            mine = replayed.__new__(replayed)
            mine.__dict__.update(page.__dict__)
            mine._recorded = (recorded, self.tagged)
            out.append(mine)
        return out


@lru_cache(maxsize=4)
def _font_file_on_demand(kind: type) -> type:
    """weasyprint's `Font`, with its file read on demand and its subsets kept.

    The original file is read from the font's face only if asked for, which
    a PDF does only when subsetting fails: the recording keeps no copy of
    each font file (a CJK one is ~20 MB). A subset is a function of the face
    and the glyphs (and flags): made once per glyph set (`_SUBSETS`) and its
    deflated bytes with it (`_DEFLATED`), so a document whose personal pages
    add no glyph to what the shared part uses embeds the same subset again
    without subsetting (about 120 ms for a Chinese one) or deflating it.
    """
    from weasyprint.text.fonts import get_hb_object_data

    def read(font: Any) -> bytes:
        found = font.__dict__.get("_file_content")
        return get_hb_object_data(font.hb_face) if found is None else found

    def write(font: Any, content: bytes) -> None:
        font.__dict__["_file_content"] = content

    def clean(font: Any, to_unicode: dict[int, str], hinting: bool) -> None:
        key = (font.hash, font.index, tuple(sorted(to_unicode)), hinting, bool(font.missing),
               tuple(sorted(font.variations.items())))
        found = _SUBSETS.get(key)
        if found is None:
            kind.clean(font, to_unicode, hinting)
            found = _SUBSETS[key] = (font.file_content, dict(font.variations))
            _DEFLATED[id(found[0])] = [found[0], None]
            while len(_SUBSETS) > MAX_SUBSETS:
                _DEFLATED.pop(id(_SUBSETS.popitem(last=False)[1][0]), None)
        _SUBSETS.move_to_end(key)
        font.file_content, font.variations = found[0], dict(found[1])

    return type(f"OnDemand{kind.__name__}", (kind,),
                {"file_content": property(read, write), "clean": clean})


def _mcids(ops: list[Any]) -> list[tuple[int, int]]:
    """Where in `ops` a marked-content id is given, and which."""
    import pydyf

    return [(index, op["MCID"]) for index, op in enumerate(ops)
            if isinstance(op, pydyf.Dictionary) and "MCID" in op]


def _rectangle(page: Any) -> tuple[float, float, float, float]:
    """The page rectangle a content stream is given, as `weasyprint.pdf.generate_pdf` makes it."""
    left, top = -SCALE * page.bleed["left"], -SCALE * page.bleed["top"]
    width = SCALE * (page.width + page.bleed["left"] + page.bleed["right"])
    height = SCALE * (page.height + page.bleed["top"] + page.bleed["bottom"])
    return (left / SCALE, top / SCALE, width / SCALE, height / SCALE)


def write_pdf(document: Any, **options: Any) -> bytes:
    """`document.write_pdf(**options)`, serialising each PDF object once.

    pydyf serialises every object twice when the PDF has an identifier (the
    second time to hash the file for the trailer's /ID); here the first
    serialisation is kept for the second, and a replayed page's content
    stream, the same bytes in every PDF, is compressed only once per process.
    """
    _tag_tree_pages_once()
    return document.write_pdf(finisher=_serialise_once, **options)


@lru_cache(maxsize=1)
def _tag_tree_pages_once() -> None:
    """weasyprint's tag tree, with the page references listed once a PDF, not once a tag.

    `add_tags` runs when every page is added; pydyf's `page_references` lists
    them all again for each structure element (~2,000 a policy). Installed
    once per process: the tree is the same, object for object.
    """
    from weasyprint import pdf as weasy_pdf

    add_tags = weasy_pdf.add_tags

    def add_tags_pages_known(pdf: Any, *args: Any, **kwargs: Any) -> Any:
        pdf.__class__ = _pages_known_class(type(pdf))
        return add_tags(pdf, *args, **kwargs)

    weasy_pdf.add_tags = add_tags_pages_known


@lru_cache(maxsize=2)
def _pages_known_class(kind: type) -> type:
    """`kind` (pydyf.PDF) whose `page_references` is listed again only when a page is added."""
    listed = kind.page_references.fget

    def page_references(self: Any) -> tuple[bytes, ...]:
        count = len(self.pages["Kids"])
        found = self.__dict__.get("_page_references")
        if found is None or found[0] != count:
            found = self._page_references = (count, listed(self))
        return found[1]

    return type(f"PagesKnown{kind.__name__}", (kind,),
                {"page_references": property(page_references)})


def _serialise_once(document: Any, pdf: Any) -> None:
    """The finisher: every object serialised once, and so the ones pydyf adds as it writes."""
    for obj in pdf.objects:
        once = _serialised_once(type(obj))
        if once is not None:
            obj.__class__ = once
    pdf.__class__ = _pdf_class(type(pdf))


@lru_cache(maxsize=2)
def _pdf_class(kind: type) -> type:
    """`kind` (pydyf.PDF) whose objects added while writing (the object stream) are once too."""

    def add_object(self: Any, obj: Any) -> None:
        once = _serialised_once(type(obj))
        if once is not None:
            obj.__class__ = once
        kind.add_object(self, obj)

    return type(f"Once{kind.__name__}", (kind,), {"add_object": add_object})


@lru_cache(maxsize=8)
def _serialised_once(kind: type) -> type | None:
    """A subclass of the pydyf object class `kind` whose `data` is computed once."""
    import pydyf

    if not issubclass(kind, (pydyf.Dictionary, pydyf.Array, pydyf.Stream)):
        return None
    serialise = kind.data.fget
    if issubclass(kind, pydyf.Stream):
        serialise = _stream_serialiser(serialise)
    elif kind.data is pydyf.Dictionary.data or kind.data is pydyf.Array.data:
        serialise = _bytes_of()[1]

    def data(self: Any) -> bytes:
        found = self.__dict__.get("_serialised")
        if found is None:
            found = self._serialised = serialise(self)
            sink = self.__dict__.get("_sink")
            if sink is not None:
                sink["data"] = found
        return found

    return type(f"Once{kind.__name__}", (kind,), {"data": property(data)})


def merged_page(front_page: Any, shared_page: Any) -> Any:
    """One page: the content of `front_page` above the shared part's first page.

    The shared page brings the header, footer and page number. The front's
    content is painted first, then the shared page's (replayed if recorded,
    its marked content numbered on from the front's), so the content stream,
    like the page's box - and so links, bookmarks and the tag tree - follows
    the reading order.
    """
    front_box = front_page._page_box.copy()
    front_box.children = front_box.children[:1]  # its root box: no footer, no header
    box = shared_page._page_box.copy()
    box.children = [*front_box.children, *box.children]
    page = _merged_page_class()(box)
    page._parts = (front_box, shared_page)
    return page


@lru_cache(maxsize=1)
def _bytes_of() -> tuple[Any, Any]:
    """pydyf's `_to_bytes`, the same bytes with the common types tested first, and `data`.

    A policy's PDF holds ~2,800 objects, most of them tag-tree dictionaries
    of names, references and arrays of them: bytes, str and int go straight
    to bytes, a plain Dictionary or Array is written as pydyf writes it, and
    anything else (floats, strings, streams, pydyf subclasses) goes to pydyf.
    The second function is the `data` of a Dictionary or Array subclass that
    keeps pydyf's (the Once classes: `_serialised_once` checks).
    """
    import pydyf

    plain, dictionary, array = pydyf._to_bytes, pydyf.Dictionary, pydyf.Array
    assert dictionary.data.fget.__qualname__ == "Dictionary.data"  # the pydyf this copies

    def bytes_of(item: Any) -> bytes:
        kind = type(item)
        if kind is bytes:
            return item
        if kind is str:
            return item.encode("ascii")
        if kind is int:
            return b"%d" % item
        if kind is dictionary:
            return b"<<" + b"".join([b"/" + bytes_of(key) + b" " + bytes_of(value)
                                     for key, value in item.items()]) + b">>"
        if kind is array:
            return b"[" + b" ".join([bytes_of(child) for child in item]) + b"]"
        return plain(item)

    def serialise(item: Any) -> bytes:  # a Dictionary or Array subclass (the Once classes)
        if isinstance(item, dictionary):
            return b"<<" + b"".join([b"/" + bytes_of(key) + b" " + bytes_of(value)
                                     for key, value in item.items()]) + b">>"
        if isinstance(item, array):
            return b"[" + b" ".join([bytes_of(child) for child in item]) + b"]"
        return bytes_of(item)

    return bytes_of, serialise


def _stream_serialiser(plain: Any) -> Any:
    """A stream's bytes, deflated at `DEFLATE_LEVEL` (pydyf deflates at 9).

    The object stream - every dictionary of the PDF, the tag tree's above all,
    some 200 kB - took 20 ms to deflate at level 9 and takes 4 at level 6,
    for a file about 2% larger.
    """
    import pydyf

    def serialise(stream: Any) -> bytes:
        if not stream.compress:
            return plain(stream)
        kept = _DEFLATED.get(id(stream.stream[0])) if len(stream.stream) == 1 else None
        if kept is not None and kept[0] is stream.stream[0]:  # a font subset made before
            if kept[1] is None:
                kept[1] = zlib.compress(kept[0], DEFLATE_LEVEL)
            packed = kept[1]
        else:
            bytes_of = _bytes_of()[0]
            packed = zlib.compress(b"\n".join([bytes_of(item) for item in stream.stream]),
                                   DEFLATE_LEVEL)
        extra = pydyf.Dictionary({**stream.extra, "Filter": "/FlateDecode",
                                  "Length": len(packed)})
        return b"\n".join((extra.data, b"stream", packed, b"endstream"))

    return serialise


@lru_cache(maxsize=1)
def _replayed_page_class() -> type:
    import pydyf
    from weasyprint.document import Page

    class ReplayedPage(Page):
        """A laid-out page whose painting was recorded: `paint` replays it."""

        _recorded: tuple[dict[str, Any], bool]

        def paint(self, stream: Any, scale: float = 1) -> None:
            recorded, _tagged = self._recorded
            if not self.replayable(stream, scale) or stream.stream != recorded["prefix"]:
                super().paint(stream, scale)  # not as recorded: paint it
                return
            self.replay(stream)
            if stream.compress and not stream.extra:  # its bytes are the recording's
                stream._sink = recorded
                if "data" in recorded:
                    stream._serialised = recorded["data"]

        def replayable(self, stream: Any, scale: float) -> bool:
            return scale == SCALE and (stream._tags is not None) == self._recorded[1]

        def replay(self, stream: Any) -> None:
            """The recorded painting onto `stream`, marked content numbered on from its own."""
            recorded, tagged = self._recorded
            offset = len(stream._tags) if tagged else 0
            if offset == 0:
                if recorded["joined"] is not None:
                    stream.stream.append(recorded["joined"])
            else:
                ops = list(recorded["ops"])
                for index, mcid in recorded["mcids"]:
                    ops[index] = pydyf.Dictionary({"MCID": mcid + offset})
                stream.stream.extend(ops)
            named = stream._resources["ExtGState"]
            for key, state in recorded["states"]:
                if key not in named:
                    named[key] = copy.deepcopy(state)
            if tagged and offset == 0:
                stream._tags.update(recorded["tags"])  # the tag tree only reads the marks
            elif tagged:
                for box, mark in recorded["tags"]:
                    stream._tags[box] = {**mark, "mcid": mark["mcid"] + offset}

    return ReplayedPage


@lru_cache(maxsize=1)
def _merged_page_class() -> type:
    from weasyprint.document import Page
    from weasyprint.draw import draw_page

    replayed = _replayed_page_class()

    class MergedPage(Page):
        """The front's last page and the shared part's first, as one (`merged_page`)."""

        _parts: tuple[Any, Any]

        def paint(self, stream: Any, scale: float = 1) -> None:
            front_box, shared_page = self._parts
            with stream.stacked():
                stream.transform(a=scale, d=scale)
                draw_page(front_box, stream)
            if isinstance(shared_page, replayed) and shared_page.replayable(stream, scale) \
                    and shared_page._recorded[0]["ops"] is not None:
                shared_page.replay(stream)
            else:
                Page.paint(shared_page, stream, scale)

    return MergedPage

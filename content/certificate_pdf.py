"""One small PDF file per page of a laid-out WeasyPrint document, without writing the batch.

Bulk certificates are laid out many pages to a document (WeasyPrint's per-document costs are
then paid once), but each person gets a file of their own. Writing the batch PDF and cutting
it up again with pypdf cost more than drawing the pages. Here WeasyPrint builds the batch's
PDF objects once (``weasyprint.pdf.generate_pdf``: fonts subset and compressed once per
batch) and each page is written straight from them as its own file: the page, its content
stream (plus any extra drawing operators), the resources its content names, the fonts it
shows, the objects those refer to, its own catalog and metadata, renumbered 1..n.

``generate_pdf`` is WeasyPrint's internal step between layout and ``pdf.write``; the
certificate tests read every file back (text, fonts, metadata, paper size) and pixel-compare
a bulk file with a single render, so a WeasyPrint upgrade that changes it fails loudly.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

_HEADER = b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n"  # what pydyf writes: version, then binary marker
_REF = re.compile(rb"(\d+) 0 R\b")
_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")


def pdf_number(value: float | int) -> bytes:
    """A number as pydyf writes it: integers bare, others with up to 6 decimals."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)).encode()
        return f"{value:f}".rstrip("0").encode()
    return str(value).encode()


def _item_bytes(item) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, (float, int)):
        return pdf_number(item)
    if hasattr(item, "data"):  # a pydyf object
        return item.data
    return str(item).encode("ascii")


def _content(stream) -> bytes:
    return b"\n".join(_item_bytes(item) for item in stream.stream)


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


@dataclass(frozen=True, slots=True)
class PageFile:
    """What one page's file gets besides the page: metadata, language, operators drawn last."""

    info: dict[str, str]
    lang: str = ""
    extra_ops: bytes = b""


class _Batch:
    """The batch's PDF objects, each serialised at most once however many files use it."""

    def __init__(self, pdf) -> None:
        self.objects = pdf.objects
        self._serialised: dict[int, tuple[bytes, bytes, tuple[int, ...]]] = {}
        self._names: dict[int, frozenset[bytes]] = {}

    def serialised(self, number: int) -> tuple[bytes, bytes, tuple[int, ...]]:
        """``(dictionary part, stream part or b"", numbers the dictionary refers to)``."""
        if number not in self._serialised:
            data = self.objects[number].data
            split = data.find(b"\nstream\n") if hasattr(self.objects[number], "stream") else -1
            head, tail = (data, b"") if split < 0 else (data[:split], data[split:])
            refs = tuple(int(n) for n in _REF.findall(head))
            self._serialised[number] = (head, tail, refs)
        return self._serialised[number]

    def names(self, number: int) -> frozenset[bytes]:
        """Resource names used by a pattern's or form's own content stream."""
        if number not in self._names:
            obj = self.objects[number]
            used: frozenset[bytes] = frozenset()
            if hasattr(obj, "stream") and "Resources" in obj.extra:
                used = frozenset(_NAME.findall(_content(obj)))
            self._names[number] = used
        return self._names[number]

    def closure(self, chunks: dict[int, tuple[bytes, bytes]], pending: list[int]) -> set[bytes]:
        """Add the objects ``pending`` refers to (recursively) to ``chunks``; the resource
        names their content streams use."""
        names: set[bytes] = set()
        while pending:
            number = pending.pop()
            if number in chunks:
                continue
            head, tail, refs = self.serialised(number)
            chunks[number] = (head, tail)
            names |= self.names(number)
            pending.extend(refs)
        return names


def _dictionary_bytes(values: dict) -> bytes:
    import pydyf

    return pydyf.Dictionary(values).data


def _string(text: str) -> bytes:
    import pydyf

    return pydyf.String(text).data


def _pruned(dictionary: dict, names: set[bytes]) -> dict:
    return {key: value for key, value in dictionary.items() if key.encode() in names}


def _refs(data: bytes) -> list[int]:
    return [int(n) for n in _REF.findall(data)]


def _page_file(batch: _Batch, page_number: int, extra: PageFile, info_number: int) -> bytes:
    objects = batch.objects
    page = objects[page_number]
    content_number = _number(page["Contents"])
    resources_number = _number(page["Resources"])
    content = _content(objects[content_number])
    if extra.extra_ops:
        content += b"\n" + extra.extra_ops
    names = set(_NAME.findall(content))

    # The batch shares one resource dictionary (and one font dictionary) between its pages;
    # this file gets its own, holding only what its page uses.
    resources = {}
    fonts_number = None
    for key, value in objects[resources_number].items():
        if key == "Font":
            fonts_number = _number(value)
            resources[key] = value
        elif isinstance(value, dict):
            resources[key] = _dictionary_bytes(_pruned(value, names))
        else:
            resources[key] = value
    resources_bytes = _dictionary_bytes(resources)
    packed = zlib.compress(content, 6)

    catalog = {"Type": "/Catalog", "Pages": b"1 0 R"}
    if extra.lang:
        catalog["Lang"] = _string(extra.lang)
    info = {key: _string(value) for key, value in extra.info.items()}
    chunks: dict[int, tuple[bytes, bytes]] = {
        1: (b"<</Type /Pages /Kids [%d 0 R] /Count 1>>" % page_number, b""),
        2: (_dictionary_bytes(catalog), b""),
        page_number: batch.serialised(page_number)[:2],
        content_number: (
            b"<</Filter /FlateDecode /Length %d>>" % len(packed),
            b"\nstream\n" + packed + b"\nendstream",
        ),
        resources_number: (resources_bytes, b""),
        info_number: (_dictionary_bytes(info), b""),
    }
    if fonts_number is not None:
        chunks[fonts_number] = (b"", b"")  # placeholder: filled once the names are known
    names |= batch.closure(chunks, _refs(resources_bytes))
    if fonts_number is not None:
        fonts = _dictionary_bytes(_pruned(objects[fonts_number], names))
        chunks[fonts_number] = (fonts, b"")
        batch.closure(chunks, _refs(fonts))
    return _write(chunks, info_number)


def _write(chunks: dict[int, tuple[bytes, bytes]], info_number: int) -> bytes:
    """The file, objects renumbered 1..n in batch order (one xref subsection, no gaps)."""
    new = {old: i for i, old in enumerate(sorted(chunks), start=1)}

    def renumber(match: re.Match) -> bytes:
        return b"%d 0 R" % new[int(match.group(1))]

    out = [_HEADER]
    position = len(_HEADER)
    offsets = []
    for old in sorted(chunks):
        head, tail = chunks[old]
        chunk = b"%d 0 obj\n%s%s\nendobj\n" % (new[old], _REF.sub(renumber, head), tail)
        offsets.append(b"%010d 00000 n \n" % position)
        out.append(chunk)
        position += len(chunk)
    out.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.extend(offsets)
    out.append(
        b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(offsets) + 1, new[2], new[info_number], position)
    )
    return b"".join(out)


def page_files(document, pages: Sequence[PageFile]) -> list[bytes]:
    """One PDF file per page of a rendered ``weasyprint.Document``, in page order."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.pdf import generate_pdf

    if len(document.pages) != len(pages):
        raise RuntimeError(
            f"expected {len(pages)} pages, WeasyPrint made {len(document.pages)}: a page overflowed"
        )
    pdf = generate_pdf(document, None, 1, **DEFAULT_OPTIONS)
    batch = _Batch(pdf)
    info_number = len(pdf.objects)  # a number no batch object uses
    kids = pdf.pages["Kids"][::3]
    return [
        _page_file(batch, number, extra, info_number)
        for number, extra in zip(kids, pages, strict=True)
    ]

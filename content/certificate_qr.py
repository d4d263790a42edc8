"""The certificate's QR code: segno's symbol, drawn as PDF operators.

The QR code used to reach WeasyPrint as segno's inline SVG, one ``<path>`` of ~900 commands
that WeasyPrint's SVG code parsed in Python for every certificate (a sixth of a
certificate's CPU). The layout now holds an empty box where the code goes, and the page gets
the operators WeasyPrint drew for that SVG, written directly from the module matrix: the same
operators, so the same pixels.

segno spends most of its time choosing the data mask (eight masked copies scored cell by cell
in Python); here the same scores (ISO 18004 N1-N4, with segno's exact N3 search) are computed
with numpy and segno is asked for the chosen mask: the symbol is the one ``segno.make(url,
error="m")`` makes, in a fifth of the time (tests compare the two on thousands of URLs).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .certificate_pdf import pdf_number

if TYPE_CHECKING:  # numpy is imported when the first code is made (the app imports this early)
    import numpy as np

_DARK_RUN = re.compile(rb"\x01+")
_N3 = b"\x01\x00\x01\x01\x01\x00\x01"  # dark light dark dark dark light dark


@lru_cache(maxsize=4096)
def qr_matrix(url: str) -> tuple[bytes, ...]:
    """The QR code's modules (1 dark, 0 light), row by row, no quiet zone; error level M."""
    import numpy as np
    import segno
    from segno import consts, encoder

    first = segno.make(url, error="m", mask=0)
    masks, reserved = _masks(first.version)
    final = np.array(first.matrix, dtype=np.uint8)
    unmasked = final ^ masks[0]
    unmasked[reserved] = 0  # format and version areas are blank while masks are scored
    scores = _scores(unmasked ^ masks)
    best = int(np.argmin(scores))  # the first of equal scores, as segno does
    if best == 0:
        return tuple(row.tobytes() for row in final)
    rows = tuple(bytearray(row.tobytes()) for row in final ^ masks[0] ^ masks[best])
    error = consts.ERROR_MAPPING[first.error]  # segno may raise M to Q or H for free
    encoder.add_format_info(rows, first.version, error, best)
    return tuple(bytes(row) for row in rows)


@lru_cache(maxsize=16)
def _masks(version: int) -> tuple[np.ndarray, np.ndarray]:
    """The eight data masks (limited to the encoding region) and the reserved cells."""
    import numpy as np
    from segno import encoder

    size = encoder.calc_matrix_size(version)
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module
    region = np.array(function, dtype=np.uint8) > 1
    reserved = np.array(encoder.make_matrix(size, size), dtype=np.uint8) == 0
    i, j = np.indices((size, size))
    patterns = [
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    ]
    masks = np.array([p & region for p in patterns], dtype=np.uint8)
    return masks, reserved


def _scores(candidates: np.ndarray) -> np.ndarray:
    """Penalty of each masked symbol (shape: masks x size x size), as segno scores it."""
    import numpy as np

    count, size, _ = candidates.shape
    lines = np.concatenate([candidates, candidates.transpose(0, 2, 1)], axis=1)  # rows, columns
    # N1: a run of 5 + k modules of one colour in a row or column costs 3 + k, which is
    # (5-module windows inside the run) + 2 for each run
    same = lines[:, :, 1:] == lines[:, :, :-1]
    window5 = same[:, :, :-3] & same[:, :, 1:-2] & same[:, :, 2:-1] & same[:, :, 3:]
    starts = window5.copy()
    starts[:, :, 1:] &= ~same[:, :, :-4]
    n1 = window5.sum(axis=(1, 2)) + 2 * starts.sum(axis=(1, 2))
    # N2: 3 for every 2x2 block of one colour
    top, bottom = candidates[:, :-1], candidates[:, 1:]
    block = (top[:, :, :-1] == top[:, :, 1:]) & (top[:, :, :-1] == bottom[:, :, :-1])
    block &= top[:, :, :-1] == bottom[:, :, 1:]
    n2 = 3 * block.sum(axis=(1, 2))
    # N3: 40 for 1:1:3:1:1 with light space before or after; rare, so only lines holding the
    # pattern are searched, with segno's own rules
    n3 = np.zeros(count, dtype=np.int64)
    pattern = np.frombuffer(_N3, dtype=np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(lines, 7, axis=2)
    has = (windows == pattern).all(axis=3).any(axis=2)
    for mask, line in zip(*np.nonzero(has), strict=True):
        n3[mask] += _n3_line(lines[mask, line].tobytes(), size)
    # N4: 10 for every 5 % the dark share is away from 50 %
    percent = candidates.sum(axis=(1, 2)) / (size**2)
    n4 = np.array([10 * int(abs(float(p) * 100 - 50) / 5) for p in percent])
    return n1 + n2 + n3 + n4


def _n3_line(line: bytes, size: int) -> int:
    """segno's N3 search of one row or column (its skip rules decide overlapping finds)."""
    score = 0
    found = line.find(_N3)
    while found != -1:
        after = found + 7
        if (
            found in (0, size - 7)
            or not any(line[max(found - 4, 0) : min(found, size)])
            or not any(line[max(after, 0) : min(after + 4, size)])
        ):
            score += 40
        else:
            after = found + 4
        found = line.find(_N3, after)
    return score


def _rgb(hex_color: str) -> bytes:
    channels = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return b" ".join(pdf_number(c) for c in channels)


def qr_operators(
    matrix: tuple[bytes, ...],
    box: tuple[float, float, float, float],
    color: str = "#0f4c5c",
    scale: float = 0.75,
) -> bytes:
    """Operators that draw ``matrix`` filling ``box`` (x1, y1, x2, y2 in CSS px, y down).

    Each row's dark runs are stroked as 1-module-wide lines at half-module height, exactly as
    WeasyPrint draws segno's ``svg_inline(scale=1, border=0)`` path inside such a box (the
    page's content ends with its coordinate system at the page's top left, y down, in
    points; ``scale`` is WeasyPrint's CSS px to pt).
    """
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    x, y, w, h = (pdf_number(v) for v in (x1, y1, width, height))
    unit = pdf_number(width / len(matrix))
    ops = [
        b"q\n%s 0 0 %s 0 0 cm\nq\nq\n%s %s %s %s re\nW\nn\nq\n1 0 0 1 %s %s cm\nq\nq\n1 0 0 1 0 0 cm"
        % (pdf_number(scale), pdf_number(scale), x, y, w, h, x, y),
        b"%s 0 0 %s 0 0 cm\nq\n0 0 0 rg\n%s RG\n1 w\n[] 0 d\n0 J\n0 j\n4 M\n0 0 m"
        % (unit, unit, _rgb(color)),
    ]
    for row_number, row in enumerate(matrix):
        middle = pdf_number(row_number + 0.5)
        for run in _DARK_RUN.finditer(row):
            ops.append(b"%d %s m\n%d %s l" % (run.start(), middle, run.end(), middle))
    ops.append(b"B\nQ\nQ\nQ\nQ\nQ\nQ\nQ")
    return b"\n".join(ops)

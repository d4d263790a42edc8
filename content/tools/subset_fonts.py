"""Rebuild the small WOFF fonts bundled for certificates from Debian's Noto fonts.

WOFF (zlib), not WOFF2: WeasyPrint turns WOFF2 back into TrueType with fontTools' pure-Python
decoder, 1.1 s at every start of a process for these six files; WOFF takes 40 ms.

Run once after changing the character ranges: python -m content.tools.subset_fonts (needs fonts-noto-core).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

SOURCE = Path("/usr/share/fonts/truetype/noto")
TARGET = Path(__file__).resolve().parents[2] / "templates" / "certificates" / "fonts"

# Latin with every European accent and Vietnamese, Greek, Cyrillic, punctuation, currency
LATIN_GREEK_CYRILLIC = (
    "U+0000-024F,U+0259,U+02BB-02BC,U+02C6-02DD,U+0300-036F,U+0370-03FF,U+0400-052F,"
    "U+1E00-1EFF,U+1F00-1FFF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-2193,U+2212,U+2E3A-2E3B"
)
ARABIC = "U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF,U+0020-0040,U+200C-200F"
HEBREW = "U+0590-05FF,U+FB1D-FB4F,U+0020-0040,U+200C-200F"

FONTS = {
    "NotoSerifDisplay-Regular.woff": ("NotoSerifDisplay-Regular.ttf", LATIN_GREEK_CYRILLIC),
    "NotoSerifDisplay-Italic.woff": ("NotoSerifDisplay-Italic.ttf", LATIN_GREEK_CYRILLIC),
    "NotoSans-Regular.woff": ("NotoSans-Regular.ttf", LATIN_GREEK_CYRILLIC),
    "NotoSans-Bold.woff": ("NotoSans-Bold.ttf", LATIN_GREEK_CYRILLIC),
    "NotoNaskhArabic-Regular.woff": ("NotoNaskhArabic-Regular.ttf", ARABIC),
    "NotoSerifHebrew-Regular.woff": ("NotoSerifHebrew-Regular.ttf", HEBREW),
}


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    for out, (src, ranges) in FONTS.items():
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]  # keep kerning, ligatures and Arabic joining forms
        options.name_IDs = ["*"]
        options.notdef_outline = True
        font = subset.load_font(str(SOURCE / src), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(ranges))
        subsetter.subset(font)
        subset.save_font(font, str(TARGET / out), options)
        print(f"{out}: {(TARGET / out).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A contract font prepared once: Noto Serif CJK SC cut down to GB 2312 and punctuation.

Subsetting the 65,000-glyph system font on every render costs time and bytes; this file,
made once (by `creditfactory init`, the tests and the benchmarks) and cached under
instance/fonts/, is what contracts use first. Templates list the full system font after
it, so a rarer character in a name still reaches the PDF.
"""
from __future__ import annotations

import pathlib

SYSTEM_FONT = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
FAMILY = "Contract Serif"
DEFAULT_DIR = pathlib.Path(__file__).resolve().parent.parent / "instance" / "fonts"
FILENAME = "ContractSerif-Regular.otf"


def _charset() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    chars |= {0xA5, 0xB7, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026}
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return chars


def prepared(directory: pathlib.Path = DEFAULT_DIR) -> pathlib.Path | None:
    path = directory / FILENAME
    return path if path.exists() else None


def prepare(directory: pathlib.Path = DEFAULT_DIR) -> pathlib.Path | None:
    """Make the subset if missing (about half a minute, once). None when the system font is absent."""
    path = directory / FILENAME
    if path.exists():
        return path
    if not SYSTEM_FONT.exists():
        return None
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(SYSTEM_FONT))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Serif CJK SC")
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_charset())
    subsetter.subset(font)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    font.save(str(tmp))
    tmp.replace(path)  # atomic: a half-written font is never used
    return path

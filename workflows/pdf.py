"""PDF basics every printed page shares: the Chinese font found on the server, its family name, the date in Chinese."""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _
from fontTools.ttLib import TTCollection

__all__ = ["FAMILY", "FONT_CANDIDATES", "PdfFontMissing", "chinese_date", "chinese_font", "code_face"]

# Debian's fonts-noto-cjk first; the others are what older servers tend to carry.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FAMILY = "cjk"
SIMPLIFIED = re.compile(r"\bSC\b")


class PdfFontMissing(Exception):
    """No Chinese font on this server, so no PDF can show Chinese."""

    def __init__(self) -> None:
        super().__init__(
            _("服务器未安装中文字体(Noto Sans CJK),无法生成 PDF。请安装 fonts-noto-cjk 或设置 PDF_FONT_PATH。")
        )


def _face_names(path: str) -> list[str]:
    """Return the full names of the faces of a font collection, in collection order."""
    collection = TTCollection(path, lazy=True)
    try:
        return [face["name"].getDebugName(4) or "" for face in collection.fonts]
    finally:
        collection.close()


def _is_collection(path: str) -> bool:
    return path.lower().endswith((".ttc", ".otc"))


@functools.cache
def chinese_font() -> tuple[str, int]:
    """Return PDF_FONT_PATH or the first CJK font found, with its Simplified Chinese face; cache_clear() forgets."""
    configured = getattr(settings, "PDF_FONT_PATH", None)
    candidates = (configured,) if configured else FONT_CANDIDATES
    path = next((str(p) for p in candidates if Path(p).is_file()), None)
    if path is None:
        raise PdfFontMissing
    if not _is_collection(path):
        return path, 0
    names = _face_names(path)
    # Noto's collection also holds Japanese, Korean and traditional faces that draw the same code points
    # with other glyph shapes; its "Mono" faces are for code, not prose.
    simplified = [i for i, name in enumerate(names) if SIMPLIFIED.search(name)]
    prose = [i for i in simplified if "Mono" not in names[i]]
    return path, (prose or simplified or [0])[0]


@receiver(setting_changed)
def _forget_font(*, setting: str, **kwargs: object) -> None:
    """Look the font up again when a test overrides PDF_FONT_PATH."""
    if setting == "PDF_FONT_PATH":
        chinese_font.cache_clear()


def code_face(path: str, index: int) -> int:
    """Return the monospaced face of the same script in the collection, or the prose face when there is none."""
    if not _is_collection(path):
        return index
    names = _face_names(path)
    wanted = names[index].replace(" CJK", " Mono CJK")
    return names.index(wanted) if wanted in names else index


def chinese_date(day: datetime.date) -> str:
    """Write a date the Chinese way, e.g. 2026年11月26日."""
    return _("%(year)s年%(month)s月%(day)s日") % {"year": day.year, "month": day.month, "day": day.day}

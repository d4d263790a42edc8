"""Images uploaded for lessons: type sniffed from the bytes, size-limited, stored in the database.

Only raster formats browsers cannot run code from (PNG, JPEG, GIF, WebP): never SVG.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from ..extensions import db
from ..models import Lesson, LessonAsset, User
from . import LessonError

MAX_IMAGE_BYTES = 2_000_000
MAX_IMAGE_PIXELS = 40_000_000  # a small file can still decode to gigabytes (decompression bomb)
ASSET_PREFIX = "images/"


@dataclass(frozen=True)
class ImageType:
    ext: str
    content_type: str
    pillow_format: str


TYPES = {
    "png": ImageType("png", "image/png", "PNG"),
    "jpeg": ImageType("jpg", "image/jpeg", "JPEG"),
    "gif": ImageType("gif", "image/gif", "GIF"),
    "webp": ImageType("webp", "image/webp", "WEBP"),
}
CONTENT_TYPES = frozenset(t.content_type for t in TYPES.values())


def sniff(data: bytes) -> ImageType | None:
    """The image type the bytes really are; the file name and the browser's word do not count."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return TYPES["gif"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return TYPES["webp"]
    return None


def safe_stem(filename: str) -> str:
    """A file name reduced to a-z, 0-9 and dashes (it ends up in Markdown, URLs and ZIPs)."""
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0].lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:40] or "image"


def check_image(data: bytes) -> tuple[ImageType, int, int]:
    """Refuse anything that is not a small, decodable PNG/JPEG/GIF/WebP; return type and size."""
    if len(data) > MAX_IMAGE_BYTES:
        raise LessonError(
            _("The image is %(size).1f MB; the limit is %(limit)d MB. Make it smaller and try again.",
              size=len(data) / 1_000_000, limit=MAX_IMAGE_BYTES // 1_000_000),
            413,
        )
    if not data:
        raise LessonError(_("The file is empty."), 400)
    kind = sniff(data)
    if kind is None:
        raise LessonError(
            _("Only PNG, JPEG, GIF and WebP images can be uploaded (SVG is not accepted)."), 415
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.format != kind.pillow_format or width * height > MAX_IMAGE_PIXELS:
                raise LessonError(_("This image cannot be used: it is too large or damaged."), 415)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LessonError(_("This image cannot be used: it is too large or damaged."), 415) from None
    return kind, width, height


def store_image(lesson: Lesson, user: User, filename: str, data: bytes) -> LessonAsset:
    """Keep an uploaded image for ``lesson``; the same bytes uploaded twice give the same asset.

    The name carries a hash of the bytes, so a changed picture gets a new name and published
    versions that point at the old one keep showing the old one.
    """
    kind, width, height = check_image(data)
    name = asset_name(filename, kind, data)
    existing = db.session.scalars(
        select(LessonAsset).where(LessonAsset.lesson_id == lesson.id, LessonAsset.filename == name)
    ).first()
    if existing is not None:
        return existing
    asset = new_asset(lesson, user, name, data, (kind, width, height))
    db.session.commit()
    return asset


def asset_name(filename: str, kind: ImageType, data: bytes) -> str:
    """``images/<stem>-<10 hex of the SHA-256>.<ext>``: a changed picture gets a new name."""
    return f"{ASSET_PREFIX}{safe_stem(filename)}-{hashlib.sha256(data).hexdigest()[:10]}.{kind.ext}"


def new_asset(lesson: Lesson, user: User, name: str, data: bytes, checked: tuple[ImageType, int, int]) -> LessonAsset:
    """An image row for ``lesson`` added to the session (``checked`` is what check_image said)."""
    kind, width, height = checked
    asset = LessonAsset(
        lesson_id=lesson.id,
        uploaded_by_id=user.id,
        filename=name,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        data=data,
    )
    db.session.add(asset)
    return asset


def assets_of(lesson_id: int) -> list[LessonAsset]:
    """A lesson's images without their bytes."""
    return list(
        db.session.scalars(select(LessonAsset).where(LessonAsset.lesson_id == lesson_id).order_by(LessonAsset.id))
    )


def asset_path(asset: LessonAsset) -> str:
    """The URL path an <img> uses; public id + name, so it is unguessable and self-describing."""
    return f"/lessons/assets/{asset.public_id}/{asset.filename.removeprefix(ASSET_PREFIX)}"

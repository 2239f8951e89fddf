"""What an uploaded file is, judged by its bytes, and where its bytes are kept
(docs/security.md, "Attachments").

The type comes from the content, never from the name or the browser's claim: a page saved as
`statement.pdf` is still a page and is refused. Only the types the desks exchange are
allowed (PDF, PNG, JPEG, Word / Excel / PowerPoint without macros, plain text and CSV);
formats that run code when opened (HTML, SVG, macro-enabled or legacy Office files,
executables) are refused whatever they are called.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils import timezone


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


PDF = FileType("application/pdf", ".pdf")
PNG = FileType("image/png", ".png")
JPEG = FileType("image/jpeg", ".jpg")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"
)
TEXT = FileType("text/plain", ".txt")
CSV = FileType("text/csv", ".csv")

# An Office Open XML package is a zip whose main part names the application.
_OOXML_PARTS = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
)
# Text that a browser or an editor would treat as markup or script.
_MARKUP = re.compile(rb"<\s*(!doctype|html|script|svg|\?xml|iframe|object|body)", re.IGNORECASE)
_SNIFF_BYTES = 8192


def sniff(upload: IO[bytes], *, name: str = "") -> FileType | None:
    """The allowed type of `upload`'s content, or None when it is not one of them."""
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_package(upload)
    return _plain_text(head, name=name)


def _office_package(upload: IO[bytes]) -> FileType | None:
    try:
        with zipfile.ZipFile(upload) as package:
            members = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in members:
        return None
    # Macros live in vbaProject.bin: a macro-enabled file renamed to .docx is refused.
    if any(member.lower().endswith("vbaproject.bin") for member in members):
        return None
    for part, kind in _OOXML_PARTS:
        if part in members:
            return kind
    return None


def _plain_text(head: bytes, *, name: str) -> FileType | None:
    if not head or b"\x00" in head or _MARKUP.search(head):
        return None
    # A multi-byte character cut at the end of the sniffed bytes is not an error.
    sample = head if len(head) < _SNIFF_BYTES else head[:-4]
    for encoding in ("utf-8", "cp932"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return CSV if name.lower().endswith(".csv") else TEXT
    return None


_UNSAFE_CHARACTERS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def clean_name(name: str, kind: FileType) -> str:
    """The name shown and offered at download: no path, no control or reserved characters,
    no leading dots, at most 150 characters, and the extension of its real type."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cf", "Cc"))
    name = _UNSAFE_CHARACTERS.sub("_", name).strip().lstrip(".").strip()
    suffix = PurePosixPath(name).suffix.lower()
    stem = name[: -len(suffix)] if suffix else name
    fits = suffix == kind.extension or (
        (kind == JPEG and suffix == ".jpeg") or (kind in (TEXT, CSV) and suffix in (".txt", ".csv"))
    )
    if not fits:
        stem, suffix = name, kind.extension
    stem = stem.strip() or "attachment"
    return stem[: 150 - len(suffix)] + suffix


def store() -> FileSystemStorage:
    """The attachment store: a directory outside the web root, never given a URL."""
    return FileSystemStorage(location=settings.CASEBOOK_ATTACHMENTS_DIR, base_url=None)


def new_stored_name() -> str:
    """A random name under the month's directory: nothing of the user's name reaches disk."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"

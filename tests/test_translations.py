"""The Japanese catalogue is complete, checked and compiled, and the UI speaks Japanese."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation

from casebook.accounts.models import DeskRole
from casebook.intake.models import CaseStatus


def _catalogue_dirs() -> list[Path]:
    """The project's catalogue and those of the apps that keep their own (app/locale/)."""
    roots = [Path(path) for path in settings.LOCALE_PATHS]
    roots += [
        Path(config.path) / "locale"
        for config in apps.get_app_configs()
        if config.name.startswith("casebook.")
    ]
    return [root / "ja" / "LC_MESSAGES" for root in roots if (root / "ja" / "LC_MESSAGES").is_dir()]


CATALOGUE_DIRS = _catalogue_dirs()

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif%]|\{[A-Za-z0-9_]*\}")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        text = self.msgid if self.msgctxt is None else f"{self.msgctxt}|{self.msgid}"
        return f"line {self.line}: {text!r}"

    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def _unquote(token: str) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"not a quoted PO string: {token!r}")
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), token[1:-1])


def parse_po(text: str) -> list[Entry]:
    """The entries of a PO file: context, ids, translations and flags; obsolete ones dropped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the field a continuation string extends

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and target is not None and target[0] == "msgstr":
                finish()  # comments open the next entry
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"line {number}: a string outside an entry")
            value = _unquote(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, getattr(current, name) + value)
            continue
        if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
            finish()  # a new entry without a blank line before it
        if current is None:
            current = Entry(line=number)
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(current, keyword, _unquote(rest))
            target = (keyword, 0)
            if keyword == "msgid":
                current.line = number
        elif keyword == "msgstr":
            current.msgstr[0] = _unquote(rest)
            target = ("msgstr", 0)
        elif m := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
            index = int(m.group(1))
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise ValueError(f"line {number}: unexpected {raw!r}")
    finish()
    return entries


def catalogue(directory: Path) -> list[Entry]:
    return parse_po((directory / "django.po").read_text(encoding="utf-8"))


def messages(directory: Path) -> list[Entry]:
    return [entry for entry in catalogue(directory) if not entry.is_header()]


each_catalogue = pytest.mark.parametrize(
    "directory", CATALOGUE_DIRS, ids=[str(d.parents[2].name) for d in CATALOGUE_DIRS]
)


def offenders(entries: list[Entry], limit: int = 8) -> str:
    shown = "\n  ".join(entry.label for entry in entries[:limit])
    more = f"\n  … and {len(entries) - limit} more" if len(entries) > limit else ""
    return f"{len(entries)} entries:\n  {shown}{more}"


def test_the_parser_reads_contexts_plurals_continuations_and_flags() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Language: ja\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgctxt "ADR"\nmsgid "settled"\nmsgstr "和解"\n"成立"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s日"\n'
        '#~ msgid "gone"\n#~ msgstr "消えた"\n'
    )
    header, settled, days = parse_po(text)
    assert header.is_header() and header.msgstr[0] == "Language: ja\n"
    assert (settled.msgctxt, settled.msgid, settled.msgstr[0]) == ("ADR", "settled", "和解成立")
    assert settled.flags == {"fuzzy", "python-format"}
    assert (days.msgid_plural, days.msgstr) == ("%(n)s days", {0: "%(n)s日"})


@each_catalogue
def test_the_catalogue_declares_japanese_with_one_plural_form(directory: Path) -> None:
    header = next(entry for entry in catalogue(directory) if entry.is_header())
    assert "Language: ja\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    assert "fuzzy" not in header.flags


@each_catalogue
def test_every_message_of_the_catalogue_is_translated(directory: Path) -> None:
    untranslated = [
        entry
        for entry in messages(directory)
        if not entry.msgstr or not all(text.strip() for text in entry.msgstr.values())
    ]
    assert not untranslated, "untranslated " + offenders(untranslated)


@each_catalogue
def test_no_message_of_the_catalogue_is_fuzzy(directory: Path) -> None:
    fuzzy = [entry for entry in messages(directory) if "fuzzy" in entry.flags]
    assert not fuzzy, "fuzzy " + offenders(fuzzy)


@each_catalogue
def test_translations_keep_the_placeholders_of_their_message(directory: Path) -> None:
    broken = [
        entry
        for entry in messages(directory)
        for text in entry.msgstr.values()
        if text and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(entry.msgid))
    ]
    assert not broken, "placeholders changed in " + offenders(broken)


@each_catalogue
def test_the_compiled_catalogue_matches_the_po_file(directory: Path) -> None:
    with (directory / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages(directory):
        want = entry.msgstr.get(0, "")
        if entry.msgid_plural is not None:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        elif entry.msgctxt is not None:
            got = compiled.pgettext(entry.msgctxt, entry.msgid)
        else:
            got = compiled.gettext(entry.msgid)
        if got != want:
            stale.append(entry)
    assert not stale, "run compilemessages; the .mo differs from the .po for " + offenders(stale)


def test_known_labels_come_out_in_japanese() -> None:
    with translation.override("ja"):
        assert str(CaseStatus.INTAKE.label) == "受付"
        assert str(CaseStatus.CLOSED.label) == "終了"
        assert str(DeskRole.COORDINATOR.label) == "統括コーディネーター"
        assert translation.gettext("IP desk details") == "知財総合支援窓口の詳細"
        assert translation.gettext("Dispute desk details") == "取引かけこみ寺の詳細"
        assert translation.ngettext("%(days)s day left", "%(days)s days left", 3) % {"days": 3} == (
            "残り3日"
        )


def test_the_same_labels_stay_english_in_english() -> None:
    with translation.override("en"):
        assert str(CaseStatus.INTAKE.label) == "intake"
        assert translation.gettext("IP desk details") == "IP desk details"

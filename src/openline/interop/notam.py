"""NOTAMs in, ICAO's and Russia's domestic ones: a file split into NOTAMs, each read.

Pure: text in, data out; nothing is stored or sent. ``parse_file`` splits a file into NOTAMs and
parses each (a bad one is reported, the others still parse); a multi-part NOTAM (``PART 1 OF
2``) is joined into one (``join_parts``). A NOTAM written in Russian is read through the Russian
vocabulary (``openline.interop.notam_ru``): one reader, two vocabularies
(``openline.interop.notam_words``). ``openline.interop.notam_drafts`` turns a record into what
the node should do; a whole file becomes an import plan, and its dry run a GeoJSON
FeatureCollection, in ``interop.formats``. docs/interop.md lists what is read and the choices
made (PERM horizon, UNL ceiling, AGL).
"""

# Russian words are in Cyrillic on purpose (RUF001, RUF002, RUF003 warn of Cyrillic look-alikes).
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openline.domain.errors import InvalidInput
from openline.interop.notam_ru import RUSSIAN, TELEGRAPH
from openline.interop.notam_text import FT_M, angle
from openline.interop.notam_words import ICAO, ITEMS, Vocabulary

PERM_HORIZON = timedelta(days=365)  # a PERM NOTAM is notified for a year from B)
UNL_M = 999 * 100 * FT_M  # UNL and the Q-line's 999: FL999, 30,449.52 m
FL_M = 100 * FT_M

_NUMBER = r"[A-ZА-ЯЁ]?\d{1,5}/\d{2,3}"
_TYPE = r"NOTAM[NRC]|НОТАМ[НЗРОЦ]"
# A part of a multi-part NOTAM may follow its number: a letter, the part (A, B, C... or in the
# Russian telegraph alphabet А, Б, Ц...), and how many parts: ``У0336/22Б04`` is part 2 of 4.
_PART_OF = r"(?P<part>[A-ZА-Я])(?P<parts>\d{2})"
_HEADER = re.compile(
    rf"^\(?\s*(?P<id>{_NUMBER})(?:{_PART_OF})?\s+(?P<type>{_TYPE})(?:\s+(?P<ref>{_NUMBER}))?"
)
_START = re.compile(rf"^\s*\(?\s*{_NUMBER}(?:[A-ZА-Я]\d{{2}})?\s+(?:{_TYPE})(?!\w)", re.MULTILINE)
_RUSSIAN = re.compile(r"НОТАМ[НЗРОЦ]|(?:^|\s)[ЩЕ]\)")
_PART = re.compile(r"^\s*PART\s+(\d{1,2})\s+OF\s+(\d{1,2})\b\s*")  # E) begins with it
_PART_IN_A = re.compile(r"\s*\bPART\s+(\d{1,2})\s+OF\s+(\d{1,2})\b")  # or A) ends with it
_PART_END = re.compile(r"\s*\b(?:END\s+(?:OF\s+)?)?PART\s+\d{1,2}\s+OF\s+\d{1,2}\b\.?\s*$")
# Lines a G) may be followed by that are no part of it: a part's end, a system's trailer.
_TRAILER = re.compile(
    r"^(?:(?:END\s+(?:OF\s+)?)?PART\s+\d{1,2}\s+OF\s+\d{1,2}|CREATED:|SOURCE:|NNNN|\)$)"
    r"|\b(?:SEQUENCE CHECK|EXPECTED\b.*\bRECEIVED|DUPLICATE NOTAM|TRANSACTION ROLLED BACK)\b"
)
_TIME = re.compile(r"^(\d{10})\s*(EST)?$")


class NotamError(InvalidInput):
    """A NOTAM, or one of its items, that cannot be read; ``field`` names the item."""


@dataclass(frozen=True)
class NotamId:
    """``A1234/24``: series letter, number, year (the FAA's ``12/322`` has no series)."""

    text: str

    @property
    def series(self) -> str:
        return self.text[0] if self.text[0].isalpha() else ""

    @property
    def number(self) -> int:
        digits = self.text[1:] if self.text[0].isalpha() else self.text
        return int(digits.split("/")[0])

    @property
    def year(self) -> int:
        return int(self.text.split("/")[1])

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class QLine:
    """The qualifier line; a field the NOTAM leaves empty is None."""

    fir: str
    code: str | None  # the five letters, Q first
    traffic: str | None
    purpose: str | None
    scope: str | None
    lower_fl: int | None
    upper_fl: int | None
    lat: float | None
    lon: float | None
    radius_nm: int | None

    @property
    def subject(self) -> str | None:
        return self.code[1:3] if self.code else None

    @property
    def condition(self) -> str | None:
        return self.code[3:5] if self.code else None


@dataclass(frozen=True)
class Notam:
    id: NotamId | None
    type: str  # NOTAMN, NOTAMR or NOTAMC
    ref: NotamId | None  # the NOTAM replaced (NOTAMR) or cancelled (NOTAMC)
    q: QLine | None
    locations: tuple[str, ...]
    start: datetime
    end: datetime | None  # None: PERM
    end_estimated: bool
    schedule: str | None
    text: str
    lower: str | None
    upper: str | None
    raw: str
    area_text: str = ""  # E) in ICAO's words, for reading its areas (``text`` as written)
    words: Vocabulary = ICAO

    @property
    def permanent(self) -> bool:
        return self.end is None

    @property
    def office(self) -> str | None:
        """The issuing office: the first A) location, else the Q-line's FIR."""
        if self.locations:
            return self.locations[0]
        return self.q.fir if self.q and self.q.fir else None

    def key(self, number: NotamId | None) -> str | None:
        """A NOTAM number as a reference: unique within its office, so keyed by it
        (``LCCC A1234/26``)."""
        if number is None:
            return None
        return f"{self.office} {number}" if self.office else str(number)


@dataclass(frozen=True)
class FileResult:
    notams: list[Notam]
    errors: list[NotamError]


def split_notams(text: str) -> list[str]:
    """The NOTAMs of a file: apart by blank lines, or each starting with its number."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[str] = []
    for block in _by_blank_lines(text):
        bounds = sorted({0, *(m.start() for m in _START.finditer(block))})
        pieces += [block[a:b] for a, b in zip(bounds, [*bounds[1:], len(block)], strict=True)]
    return join_parts([p.strip() for p in pieces if p.strip()])


def _by_blank_lines(text: str) -> list[str]:
    starts = r"\n\s*\n(?=\s*(?:\(|[A-ZА-ЯЁ]?\d{1,5}/\d|[QЩ]\)))"
    return [p for p in re.split(starts, text) if p.strip()]


def number_of(raw: str) -> str | None:
    """The NOTAM's number as its header gives it (``A1234/24``), even when the rest cannot be
    read: what an error report names it by."""
    header = _HEADER.match(raw.strip())
    return header.group("id") if header else None


def parse_file(text: str) -> FileResult:
    """Every NOTAM of the file: the ones read, and an error for each one that is not."""
    notams, errors = [], []
    for index, piece in enumerate(split_notams(text)):
        try:
            notams.append(parse_notam(piece))
        except NotamError as error:
            first = piece.splitlines()[0][:40]
            errors.append(
                NotamError(f"NOTAM {index + 1} ({first}): {error.message}", field=error.field)
            )
    return FileResult(notams, errors)


def vocabulary_of(text: str) -> Vocabulary:
    """Russian for a NOTAM written in Cyrillic (НОТАМН, Щ), Е)), else ICAO's."""
    return RUSSIAN if _RUSSIAN.search(text) else ICAO


def parse_notam(raw: str) -> Notam:
    """One NOTAM, ICAO's or Russian, or NotamError naming the item (as the NOTAM writes it) and
    the text that could not be read."""
    if isinstance(raw, MissingParts):
        raise NotamError(f"{raw.missing}: a multi-part NOTAM is read whole", field="E)")
    text = raw.replace("\r\n", "\n").strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    words = vocabulary_of(text)
    header = _HEADER.match(text)
    items = _items(text, words)
    label = words.label
    if "B" not in items:
        raise NotamError(f"{label('B')} is missing in {text[:60]!r}", field=label("B"))
    if "E" not in items:
        raise NotamError(f"{label('E')} is missing", field=label("E"))
    kind = words.types.get(header.group("type"), "") if header else "NOTAMN"
    if not kind:
        assert header is not None
        raise NotamError(f"{header.group('type')!r} is not a NOTAM type here", field="header")
    ref = header.group("ref") if header else None
    if kind == "NOTAMC" and ref is None:
        raise NotamError("NOTAMC names no NOTAM to cancel", field="header")
    start, _ = _time(items["B"], label("B"))
    until = words.until(items["C"]) if "C" in items else None
    if until is None and kind != "NOTAMC":
        raise NotamError(f"{label('C')} is missing (give an end time or PERM)", field=label("C"))
    end, estimated = (None, False) if until is None or until == "PERM" else _time(until, label("C"))
    if end is not None and end <= start:
        raise NotamError(
            f"{label('C')} {items['C']} is not after {label('B')} {items['B']}", field=label("C")
        )
    return Notam(
        id=NotamId(header.group("id")) if header else None,
        type=kind,
        ref=NotamId(ref) if ref else None,
        q=_qline(words.qline(items["Q"]), label("Q")) if "Q" in items else None,
        locations=tuple(words.locations(_PART_IN_A.sub("", items.get("A", ""))).split()),
        start=start,
        end=end,
        end_estimated=estimated,
        schedule=items.get("D"),
        text=_e_text(items["E"]),
        lower=items.get("F"),
        upper=_limit_line(items["G"], label("G")) if "G" in items else None,
        raw=raw,
        area_text=words.area_text(_e_text(items["E"])),
        words=words,
    )


def _e_text(text: str) -> str:
    """E) without the part marks of a multi-part NOTAM (``PART 2 OF 2``, ``END PART 1 OF 2``)."""
    return _PART_END.sub("", _PART.sub("", text, count=1))


def _limit_line(text: str, item: str) -> str:
    """G)'s limit: its first line; the lines after it may only be a trailer (``PART 2 OF 2``,
    a system's sequence-check text), else the limit is ambiguous."""
    first, *rest = [line.strip() for line in text.splitlines() if line.strip()] or [""]
    first = _PART_END.sub("", first)
    for line in rest:
        if not _TRAILER.search(line.upper()):
            raise NotamError(
                f"{item} {text!r:.80} is followed by {line!r:.40}, which is no limit and no "
                "trailer: which is the limit?",
                field=item,
            )
    return first


def _items(text: str, words: Vocabulary = ICAO) -> dict[str, str]:
    # F) and G) only follow E); a "G)" inside E)'s text before F) is text, not an item.
    letters = "".join(words.letters.values())
    found = re.finditer(rf"(?:^|(?<=\s))([{letters}])\)\s*", text)
    matches = [(words.item_of(m.group(1)) or "", m) for m in found]
    items: dict[str, str] = {}
    kept: list[tuple[str, re.Match[str]]] = []
    for letter, match in matches:
        if letter in items or (kept and ITEMS.index(letter) <= ITEMS.index(kept[-1][0])):
            continue
        kept.append((letter, match))
        items[letter] = ""
    if not kept:  # no item at all: the caller names the first one missing
        return items
    for (letter, match), following in zip(kept, [*kept[1:], None], strict=True):
        stop = following[1].start() if following else len(text)
        items[letter] = text[match.end() : stop].strip()
    return items


class MissingParts(str):
    """A multi-part NOTAM some of whose parts the file does not hold: its first part's text,
    and which parts are missing."""

    def __new__(cls, text: str, missing: str) -> MissingParts:
        made = super().__new__(cls, text)
        made.missing = missing
        return made

    missing: str


def join_parts(pieces: list[str]) -> list[str]:
    """The NOTAMs of a file with each multi-part NOTAM (``PART n OF m`` at the end of A) or the
    start of E), or a part after the number: ``У0336/22Б04``) made one: part 1's items up to E),
    every part's E) in order, the last part's F) and G). A part missing is reported as an error
    of that NOTAM when it is read."""
    out: list[str] = []
    parts: dict[str, dict[int, str]] = {}
    counts: dict[str, int] = {}
    for piece in pieces:
        number = number_of(piece)
        part = _part_of(piece)
        if number is None or part is None:
            out.append(piece)
            continue
        if number not in parts:
            out.append(number)  # its place in the file, filled in below
        parts.setdefault(number, {})[part[0]] = piece
        counts[number] = part[1]
    return [_joined(parts[p], counts[p]) if p in parts else p for p in out]


def _part_of(piece: str) -> tuple[int, int] | None:
    """Which part of how many ``piece`` is, if it is one."""
    header = _HEADER.match(piece.strip())
    if header and header.group("part"):
        letter = header.group("part").translate(TELEGRAPH)
        return ord(letter) - ord("A") + 1, int(header.group("parts"))
    items = _items(_unwrapped(piece), vocabulary_of(piece))
    part = _PART_IN_A.search(items.get("A", "")) or _PART.match(items.get("E", ""))
    return (int(part.group(1)), int(part.group(2))) if part else None


def _unwrapped(piece: str) -> str:
    text = piece.strip()
    return text[1:-1].strip() if text.startswith("(") and text.endswith(")") else text


def _joined(parts: dict[int, str], count: int) -> str:  # or MissingParts
    missing = [n for n in range(1, count + 1) if n not in parts]
    first = _unwrapped(parts[min(parts)])
    if missing:
        return MissingParts(first, f"PART {', '.join(map(str, missing))} OF {count} is missing")
    words = vocabulary_of(first)
    texts = []
    for n in range(1, count + 1):
        items = _items(_unwrapped(parts[n]), words)
        texts.append(_e_text(items.get("E", "")))
    last = _items(_unwrapped(parts[count]), words)
    head = first[: _item_start(first, "E", words)]
    tail = "".join(f"\n{words.label(i)} {last[i]}" for i in "FG" if i in last)
    return f"{head}{words.label('E')} {chr(10).join(texts)}{tail}"


def _item_start(text: str, item: str, words: Vocabulary) -> int:
    match = re.search(rf"(?:^|(?<=\s)){re.escape(words.label(item))}", text)
    return match.start() if match else len(text)


def _time(text: str, item: str) -> tuple[datetime, bool]:
    match = _TIME.match(text.strip())
    if match is None:
        raise NotamError(f"{item} {text!r:.60} is not a time YYMMDDHHMM", field=item)
    try:
        # ICAO times are UTC; "EST" means the end is an estimate, not a time zone.
        value = datetime.strptime(match.group(1), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise NotamError(f"{item} {text!r:.60} is not a real date and time", field=item) from None
    return value, match.group(2) is not None


def _qline(text: str, item: str = "Q)") -> QLine:
    fields = [f.strip() for f in text.split("/")]
    if len(fields) == 7 and fields[1] == "undefined":  # an FAA export that lost code/traffic
        fields = [fields[0], "", "", *fields[2:]]
    if len(fields) != 8:
        raise NotamError(f"{item} {text!r:.80} has {len(fields)} fields, not 8", field=item)
    fir, code, traffic, purpose, scope, lower, upper, where = fields
    if code and not re.fullmatch(r"Q[A-Z]{4}", code):
        raise NotamError(f"{item} code {code!r} is not Q and four letters", field=item)
    position = re.fullmatch(r"(\d{4})([NS])(\d{5})([EW])(\d{3})?", where)
    if where and position is None:
        raise NotamError(
            f"{item} {where!r} is not a position and radius (5130N00027W005)", field=item
        )
    lat = lon = None
    radius = None
    if position:
        lat = angle(position.group(1), 2) * (-1 if position.group(2) == "S" else 1)
        lon = angle(position.group(3), 3) * (-1 if position.group(4) == "W" else 1)
        radius = int(position.group(5)) if position.group(5) else None
    return QLine(
        fir=fir,
        code=code or None,
        traffic=traffic or None,
        purpose=purpose or None,
        scope=scope or None,
        lower_fl=_level(lower, item),
        upper_fl=_level(upper, item),
        lat=lat,
        lon=lon,
        radius_nm=radius,
    )


def _level(text: str, item: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise NotamError(f"{item} flight level {text!r} is not three digits", field=item)
    return int(text)

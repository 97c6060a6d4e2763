"""Russia's domestic NOTAMs: the Cyrillic vocabulary of the one NOTAM reader.

A Russian domestic NOTAM has ICAO's structure in Russian words::

    (К3153/19 НОТАМН
    Щ)УУВЖ/ЩРТЦА/ИЖ/БО/В/000/120/5612С03709В004
    А)УУВЖ Б)1904250300 Ц)1904271100
    Д)25 26 0300-2300, 27 0300-1100
    Е)ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА РАЙОН: 560930С0370830В-...
    Ф)ПОВЕРХНОСТЬ Г)ЭШ120)

Items Щ) А) Б) Ц) Д) Е) Ф) Г) are Q) A) B) C) D) E) F) G); НОТАМН, НОТАМЗ (or НОТАМР) and
НОТАМО (or НОТАМЦ) are NOTAMN, NOTAMR and NOTAMC. The Q-line and the location indicators are
ICAO's letters in the Russian telegraph alphabet (УУВЖ is UUWV, ЩРТЦА is QRTCA); a position's
hemispheres are С Ю В З (north, south, east, west). Everything here turns a Russian item's text
into ICAO's words for the reader; the notification's title keeps the Russian text as written.
"""

# Russian words are written in Cyrillic on purpose (RUF001 and RUF002 warn of Cyrillic look-alikes).
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re

from openline.interop.notam_words import Vocabulary

# ICAO's Latin letters in the Russian telegraph alphabet (MTK-2), as Q-codes and location
# indicators are written in Russian NOTAMs.
TELEGRAPH = str.maketrans("АБЦДЕФГХИЙКЛМНОПЩРСТУЖВЬЫЗ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HEMISPHERES = str.maketrans("СЮВЗ", "NSEW")
_DIGITS = r"\d{4}(?:\d{2}(?:[.,]\d+)?)?"
_LON_DIGITS = r"\d{5}(?:\d{2}(?:[.,]\d+)?)?"
_POSITION = re.compile(rf"(?<![\w.])({_DIGITS})\s?([СЮ])\s?({_LON_DIGITS})\s?([ВЗ])(?!\w)")
_Q_POSITION = re.compile(r"^(\d{4})([СЮ])(\d{5})([ВЗ])(\d{3})?$")

# (pattern, ICAO's words): applied in order, so longer phrases go before their parts.
_LIMITS = (
    (r"(\d+(?:[.,]\d+)?)\s?М\.?\s*(?:ОТ\s+)?СР\.?\s*УР\.?\s*МОРЯ", r"\1M AMSL"),
    (r"(\d+(?:[.,]\d+)?)\s?М\.?\s*(?:ОТ\s+)?УР\.?\s*ЗЕМЛИ", r"\1M AGL"),
    (r"(\d+(?:[.,]\d+)?)\s?М\.?\s*(?:ОТ\s+)?(?:ИСТ\.?\s*)?ВЫС\w*", r"\1M AGL"),
    (r"\bЭШ\s?(\d{1,3})\b", r"FL\1"),
    (r"\bПОВЕРХНОСТ[ЬИ]\b", "SFC"),
    (r"\bЗЕМЛ[ЯИ]\b", "GND"),
    (r"\bНЕОГР\w*\.?", "UNL"),
    (r"(\d+(?:[.,]\d+)?)\s?КМ\b", r"\1KM"),
    (r"(\d+(?:[.,]\d+)?)\s?М\b", r"\1M"),
)
_AREAS = (
    (
        r"\bПОЛОСА\s+ШИРИНОЙ\s+ПО\s+(\S+)\s+В\s+ОБЕ\s+СТОРОНЫ\s+ОТ\s+ОСИ\s+МАРШРУТА\b",
        r"\1 EITHER SIDE OF LINE",
    ),
    (
        r"\bПОЛОСА\s+ШИРИНОЙ\s+(\S+)\s+(?:ПО\s+)?(?:ОСИ\s+)?(?:МАРШРУТА\s*)?",
        r"CORRIDOR \1 WIDE ALONG ",
    ),
    (r"\bОКРУЖНОСТЬ\b", "CIRCLE"),
    (r"\bРАДИУС(?:ОМ)?\b", "RADIUS"),
    (r"\bЦЕНТР(?:ОМ)?\b", "CENTRE"),
    (r"\bРАЙОН\b", "AREA"),
    # the kind of activity, for the notification's kind
    (r"\bСТРЕЛЬБ\w*", "FIRING"),
    (r"\bПУСК\w*", "LAUNCH"),
    (r"\bУЧЕНИ\w*", "EXERCISE"),
)
_DAYS = (
    (r"\bЕЖЕДНЕВНО\b", "DAILY"),
    (r"\bКРУГЛОСУТО[Ч4]НО\b", "H24"),
    (r"\bКРОМЕ\b", "EXC"),
    (r"\bВОСХ\w*\.?", "SR"),
    (r"\bЗАХ\w*\.?", "SS"),
    (r"\bИ\b", "AND"),
    *(
        (rf"\b{ru}\w*\.?", en)
        for ru, en in (
            ("ЯНВ", "JAN"),
            ("ФЕВ", "FEB"),
            ("МАР", "MAR"),
            ("АПР", "APR"),
            ("МА[ЙЯ]", "MAY"),
            ("ИЮН", "JUN"),
            ("ИЮЛ", "JUL"),
            ("АВГ", "AUG"),
            ("СЕН", "SEP"),
            ("ОКТ", "OCT"),
            ("НОЯ", "NOV"),
            ("ДЕК", "DEC"),
        )
    ),
    *(
        (rf"\b{ru}\b", en)
        for ru, en in (
            ("ПН", "MON"),
            ("ВТ", "TUE"),
            ("СР", "WED"),
            ("[Ч4]Т", "THU"),
            ("ПТ", "FRI"),
            ("СБ", "SAT"),
            ("ВС", "SUN"),
        )
    ),
)


def _replaced(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for pattern, words in table:
        text = re.sub(pattern, words, text)
    return text


def positions(text: str) -> str:
    """``551512С0373015В`` as ICAO writes it, ``551512N0373015E``."""
    return _POSITION.sub(
        lambda m: (
            m.group(1).replace(",", ".")
            + m.group(2).translate(_HEMISPHERES)
            + m.group(3).replace(",", ".")
            + m.group(4).translate(_HEMISPHERES)
        ),
        text,
    )


def limits(text: str) -> str:
    """``ЭШ100`` FL100, ``900 М СР.УР.МОРЯ`` 900M AMSL, ``150 М УР.ЗЕМЛИ`` 150M AGL,
    ``ПОВЕРХНОСТЬ`` SFC, ``ЗЕМЛЯ`` GND, ``НЕОГР.`` UNL."""
    return _replaced(text.upper(), _LIMITS)


def area_text(text: str) -> str:
    """E) in ICAO's words, for reading its areas, their limits and the kind of activity."""
    return limits(_replaced(positions(text.upper()), _AREAS))


def schedule(text: str) -> str:
    """D): ``ЕЖЕДНЕВНО`` DAILY, month and weekday names, ``КРУГЛОСУТОЧНО`` H24."""
    return _replaced(text.upper(), _DAYS)


def qline(text: str) -> str:
    """Q): the letters in ICAO's alphabet, the position's hemispheres as N S E W."""
    fields = text.split("/")
    *letters, where = fields
    position = _Q_POSITION.match(where.strip())
    if position:
        where = (
            position.group(1)
            + position.group(2).translate(_HEMISPHERES)
            + position.group(3)
            + position.group(4).translate(_HEMISPHERES)
            + (position.group(5) or "")
        )
    return "/".join([*(f.upper().translate(TELEGRAPH) for f in letters), where])


def locations(text: str) -> str:
    """A): ``УУВЖ`` is UUWV."""
    return text.upper().translate(TELEGRAPH)


def until(text: str) -> str:
    """C): ``ПОСТ`` (permanent) is PERM; ``РАСЧ`` (calculated: an estimate; ``РАС4`` in the
    telegraph's digits for Ч) and ``ОРИЕНТ`` are EST."""
    estimate = r"\s*(?:РАС[Ч4]\w*|ОРИЕНТ\w*|ЕСТ)\.?$"
    return re.sub(estimate, " EST", text.strip()).replace("ПОСТ", "PERM")


RUSSIAN = Vocabulary(
    "Russian",
    letters=dict(zip("QABCDEFG", "ЩАБЦДЕФГ", strict=True)),
    types={
        "НОТАМН": "NOTAMN",
        "НОТАМЗ": "NOTAMR",
        "НОТАМР": "NOTAMR",
        "НОТАМО": "NOTAMC",
        "НОТАМЦ": "NOTAMC",
    },
    series="А-ЯЁ",
    qline=qline,
    locations=locations,
    until=until,
    schedule=schedule,
    area_text=area_text,
    limit=limits,
)

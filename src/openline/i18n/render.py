"""Rendering a message in an operator's language, from its fields and the catalogue.

Nothing the sender wrote is translated or reworded: coordinates, times, callsigns, counts and
the text of text fields come through as sent, and only the words around them (labels, units,
the template's title) come from the catalogue. Every location is shown in decimal degrees and
MGRS, every instant in ISO 8601 UTC and as a date-time group, every altitude in metres and feet.

In a right-to-left language (Arabic) each machine-readable run (coordinates, MGRS, ISO 8601
instants, DTGs, callsigns, party codes, message ids) is wrapped in a left-to-right isolate,
U+2066 ... U+2069, so that the bidirectional algorithm never reorders its characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openline.domain.dtg import format_dtg
from openline.domain.messages import Message
from openline.domain.phrasebook import FREE_TEXT, get_template
from openline.domain.timeutil import format_utc, parse_utc
from openline.geo.coords import format_dd, format_mgrs
from openline.i18n.catalogues import Catalogue, catalogue

LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate, pop directional isolate
METRES_PER_FOOT = 0.3048
MAX_LISTED_VERTICES = 20  # per message: a polygon of 10,000 positions is counted, not listed
INDENT = "  "


@dataclass(frozen=True)
class Renderer:
    """Writes one message's values in one catalogue's language."""

    words: Catalogue

    def ltr(self, run: str) -> str:
        """``run`` kept left to right in a right-to-left text; unchanged otherwise."""
        return f"{LRI}{run}{PDI}" if self.words.right_to_left else run

    def point(self, lat: float, lon: float) -> str:
        return f"{self.ltr(format_dd(lat, lon))} ({self.ltr(format_mgrs(lat, lon))})"

    def instant(self, value: str | datetime) -> str:
        at = parse_utc(value) if isinstance(value, str) else value
        return f"{self.ltr(format_utc(at))} ({self.ltr(format_dtg(at))})"

    def metres(self, value: float) -> str:
        return self.words.text("units.m", n=number(value))

    def altitude(self, metres: float) -> str:
        feet = self.words.text("units.ft", n=round(metres / METRES_PER_FOOT))
        return f"{self.metres(metres)} ({feet})"

    def language(self, code: str) -> str:
        key = f"languages.{code}"
        return f"{self.words.text(key)} ({code})" if self.words.has(key) else code

    def codes(self, codes: Sequence[str]) -> str:
        return self.words.text("words.list_separator").join(self.ltr(c) for c in codes)

    def value(self, name: str, kind: str, value: Any) -> str:
        """A field's value as the operator reads it; a polygon takes several lines."""
        if kind == "callsign":
            return self.ltr(value)
        if kind == "count":
            return self.count(name, value)
        if kind == "time":
            return self.instant(value)
        if kind == "time_window":
            start, end = self.instant(value["start"]), self.instant(value["end"])
            return self.words.text("words.time_window", start=start, end=end)
        if kind == "point":
            return self.point(value["lat"], value["lon"])
        if kind == "area":
            return self.area(value)
        if kind == "altitude_band":
            lower, upper = self.altitude(value["lower_m"]), self.altitude(value["upper_m"])
            return self.words.text("words.altitude_band", lower=lower, upper=upper)
        if kind == "language":
            return self.language(value)
        return str(value)  # text: as the sender wrote it

    def count(self, name: str, n: int) -> str:
        if name.endswith("_m"):  # a distance: closest_distance_m, radius_m
            return self.metres(n)
        return self.words.plural(f"plurals.{name}", n)

    def area(self, area: Mapping[str, Any]) -> str:
        if "circle" in area:
            circle = area["circle"]
            return self.words.text(
                "words.circle",
                centre=self.point(circle["lat"], circle["lon"]),
                radius=self.metres(circle["radius_m"]),
            )
        if "corridor" in area:  # its path is open: every position is a vertex
            corridor = area["corridor"]
            path = corridor["path"]
            counted = self.words.plural("plurals.vertices", len(path))
            head = self.words.text(
                "words.corridor", width=self.metres(corridor["half_width_m"]), vertices=counted
            )
            return "\n".join([head, *self._vertices(path, MAX_LISTED_VERTICES)])
        lines: list[str] = []
        budget = MAX_LISTED_VERTICES
        for number, ring in enumerate(area["coordinates"]):
            vertices = ring[:-1]  # a ring is closed: its last position repeats its first
            counted = self.words.plural("plurals.vertices", len(vertices))
            if number == 0:
                lines.append(self.words.text("words.polygon", vertices=counted))
            else:
                lines.append(
                    self.words.text("words.excluded_area", number=number, vertices=counted)
                )
            lines.extend(self._vertices(vertices, budget))
            budget -= min(budget, len(vertices))
        return "\n".join(lines)

    def _vertices(self, vertices: list[list[float]], budget: int) -> list[str]:
        """Each vertex numbered on its own line, up to ``budget``, then how many more."""
        listed = vertices[:budget]
        lines = [f"{INDENT}{i}. {self.point(lat, lon)}" for i, (lon, lat) in enumerate(listed, 1)]
        if len(vertices) > len(listed):
            more = self.words.plural("plurals.more_vertices", len(vertices) - len(listed))
            lines.append(f"{INDENT}{more}")
        return lines

    def line(self, label: str, value: str) -> str:
        """``label: value``; a value of several lines continues on indented lines."""
        head, *rest = value.split("\n")
        first = self.words.text("words.label_value", label=label, value=head)
        return "\n".join([first, *(f"{INDENT}{part}" for part in rest)])


def number(value: float) -> str:
    """A number as written on both sides: ASCII digits, no grouping, no needless ``.0``."""
    if value == 0:
        return "0"  # never "-0"
    if float(value).is_integer():
        return str(int(value))
    return format(value, ".15g")


def render_message(message: Message, lang: str) -> dict[str, Any]:
    """The message in ``lang`` (en, ru, fr or ar), JSON-ready.

    ``{"lang", "title", "precedence", "lines": [{"field", "label", "value"}], "text",
    "untranslated", "original_lang"}``: ``lines`` hold the message it answers and every field
    given, in the template's order; ``text`` is the whole message as an operator reads it.
    Free text comes through unchanged, ``untranslated``, with its language in
    ``original_lang``.
    """
    words = catalogue(lang)
    out = Renderer(words)
    template = get_template(message.template)
    lines: list[dict[str, str]] = []
    if message.in_reply_to:
        label = words.text("words.in_reply_to")
        lines.append(
            {"field": "in_reply_to", "label": label, "value": out.ltr(message.in_reply_to)}
        )
    for spec in template.fields:
        if spec.name in message.fields:
            value = out.value(spec.name, spec.kind, message.fields[spec.name])
            label = words.text(f"fields.{spec.name}.label")
            lines.append({"field": spec.name, "label": label, "value": value})
    free_text = message.template == FREE_TEXT
    title = words.text(f"templates.{message.template}.title")
    precedence = words.text(f"precedence.{message.precedence.value}")
    return {
        "lang": lang,
        "title": title,
        "precedence": precedence,
        "lines": lines,
        "text": _text(
            out, message, title=title, precedence=precedence, lines=lines, free_text=free_text
        ),
        "untranslated": free_text,
        "original_lang": message.fields["lang"] if free_text else None,
    }


def _text(
    out: Renderer,
    message: Message,
    *,
    title: str,
    precedence: str,
    lines: list[dict[str, str]],
    free_text: bool,
) -> str:
    words = out.words
    header = [
        f"{precedence} — {title}",
        out.line(words.text("words.message"), out.ltr(message.id)),
        out.line(words.text("words.from"), out.ltr(message.sender)),
        out.line(words.text("words.to"), out.codes(message.to)),
        out.line(words.text("words.sent"), out.instant(message.created_at)),
        out.line(words.text("words.deadline"), out.instant(message.deadline)),
    ]
    if not free_text:
        return "\n".join(header + [out.line(line["label"], line["value"]) for line in lines])
    # The free text itself closes the rendering, unindented and untouched, after its marker.
    replying = [out.line(line["label"], line["value"]) for line in lines[:1] if message.in_reply_to]
    language = out.language(message.fields["lang"])
    marker = words.text("words.untranslated", language=language)
    return "\n".join([*header, *replying, f"[{marker}]", message.fields["text"]])

"""Rule 10b5-1 plan adoption dates, read from footnote and remarks text.

Filers write the date in a few ways: "adopted on August 2, 2023", "adopted August 2,
2023", "ADOPTED ON SEPTEMBER  14, 2021", "entered into on 8/2/2023", "adopted by the
reporting person's trust on February 26, 2019", "a plan adopted ... dated 2 August
2023". A date counts as the adoption date only when an adoption word (adopted,
entered into, established, dated) comes before it in the same sentence, so "the plan
was completed on December 28, 2021" or "terminated on ..." is not taken for one. The
first such date of the text wins; its sentence is kept as evidence.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:(?P<mon>{_MONTH})\.?\s+(?P<day>\d{{1,2}}){_ORD},?\s+(?P<year>\d{{4}})"
    rf"|(?P<day2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon2>{_MONTH})\.?,?\s+(?P<year2>\d{{4}})"
    r"|(?P<m3>\d{1,2})/(?P<d3>\d{1,2})/(?P<y3>\d{4}|\d{2})(?!\d)"
    r"|(?P<y4>\d{4})-(?P<m4>\d{2})-(?P<d4>\d{2}))"
)
DATE = re.compile(rf"\b{_DATE}", re.IGNORECASE)
#: An adoption word, then at most 100 characters of the same sentence, then the date.
_ADOPTED_ON = re.compile(
    rf"\b(?:adopt\w*|entered\s+into|enter\s+into|established|dated)\b(?:[^.;]|\.(?=\S)|(?<=\b[A-Za-z]{{3}})\.){{0,100}}?\b{_DATE}",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[.;](?=\s+[A-Z(])|\n")


@dataclass(frozen=True)
class Adoption:
    date: dt.date
    sentence: str


def _as_date(m: re.Match[str]) -> dt.date | None:
    g = m.groupdict()
    try:
        if g["mon"] or g["mon2"]:
            month = _MONTHS[(g["mon"] or g["mon2"])[:3].lower()]
            return dt.date(int(g["year"] or g["year2"]), month, int(g["day"] or g["day2"]))
        if g["m3"]:
            year = int(g["y3"])
            return dt.date(year + 2000 if year < 100 else year, int(g["m3"]), int(g["d3"]))
        return dt.date(int(g["y4"]), int(g["m4"]), int(g["d4"]))
    except ValueError:  # 2/30/2023 and the like: not a date
        return None


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence of `text` around [start, end), whitespace collapsed."""
    before = [m.end() for m in _BOUNDARY.finditer(text, 0, start)]
    after = _BOUNDARY.search(text, end)
    chunk = text[before[-1] if before else 0 : after.end() if after else len(text)]
    return " ".join(chunk.split())


def adoption(text: str | None) -> Adoption | None:
    """The plan adoption date the text gives, with its sentence; None when it gives none."""
    if not text:
        return None
    for m in _ADOPTED_ON.finditer(text):
        day = _as_date(m)
        if day is not None:
            return Adoption(day, _sentence(text, m.start(), m.end()))
    return None


def names_a_date(text: str | None) -> bool:
    """The text contains a calendar date in one of the forms above (for measuring extraction)."""
    return any(_as_date(m) for m in DATE.finditer(text or ""))

"""Rendering of the synthetic mirror's daily indexes (``master`` and ``form``), shaped like EDGAR's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from form4_assets.synthetic.ownership_xml import yyyymmdd


@dataclass(frozen=True)
class IndexLine:
    cik: int
    company: str
    form_type: str
    accession: str

    @property
    def path(self) -> str:
        return f"edgar/data/{self.cik}/{self.accession}.txt"


def listing_lines(accession: str, form_type: str, filers: list[tuple[int, str]]) -> list[IndexLine]:
    """The daily-index lines of one ownership filing: one per CIK (the issuer and every
    reporting owner, ~2.05 per filing on real indexes), in the master index's order, so
    the first is the one a reader that keeps one line per accession keeps."""
    unique = list(dict.fromkeys(filers))
    lines = [IndexLine(cik, name, form_type, accession) for cik, name in unique]
    return sorted(lines, key=lambda x: f"{x.cik}|{x.company}|")


def _received(day: dt.date) -> str:
    return f"{day:%b} {day.day:2d}, {day.year}"


def render_master_index(day: dt.date, lines: list[IndexLine]) -> str:
    """``master.YYYYMMDD.idx``: pipe-delimited, sorted like EDGAR's (by the whole line)."""
    body = sorted(f"{x.cik}|{x.company}|{x.form_type}|{yyyymmdd(day)}|{x.path}\n" for x in lines)
    return (
        "Description:           Daily Index of EDGAR Dissemination Feed\n"
        f"Last Data Received:    {_received(day)}\n"
        "Comments:              webmaster@sec.gov\n"
        "Anonymous FTP:         ftp://ftp.sec.gov/edgar/\n"
        " \n"
        "CIK|Company Name|Form Type|Date Filed|File Name\n"
        + "-" * 80 + "\n" + "".join(body)
    )


def render_form_index(day: dt.date, lines: list[IndexLine]) -> str:
    """``form.YYYYMMDD.idx``: fixed-width columns (form 17, company 62, CIK 12, date 12), by form."""
    ordered = sorted(lines, key=lambda x: (x.form_type, x.company, x.cik, x.accession))
    body = "".join(f"{x.form_type:<17}{x.company[:61]:<62}{x.cik:<12}{yyyymmdd(day):<12}{x.path}\n" for x in ordered)
    return (
        "Description:           Daily Index of EDGAR Dissemination Feed by Form Type\n"
        f"Last Data Received:    {_received(day)}\n"
        "Comments:              webmaster@sec.gov\n"
        "Anonymous FTP:         ftp://ftp.sec.gov/edgar/\n"
        " \n"
        "Form Type   Company Name                                                  CIK         Date Filed  File Name\n"
        + "-" * 141 + "\n" + body
    )

"""Plan adoption dates read from the real 10b5-1 footnotes and remarks of the corpus.

Every footnote or remarks text of the corpus (filings/, bulk/ and the seed) that cites
Rule 10b5-1 is read at test time. The expected dates below were read by hand from the
texts; the test checks that exactly those texts name a date and that each date is read
exactly (the adoption date, not e.g. the "completed on December 28, 2021" beside it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from form4_assets.aggregates.effective import cites_10b5_1
from form4_assets.parsing import ParsedFiling, parse_filing
from form4_assets.signals.adoption import adoption, names_a_date

D = dt.date
#: (folder, file, footnote id or REMARKS) -> adoption date, for every 10b5-1 text naming a date.
EXPECTED: dict[tuple[str, str, str], dt.date] = {
    ("filings", "0000899243-21-044060.xml", "F1"): D(2021, 9, 14),  # "PREVIOUSLY ADOPTED ON SEPTEMBER  14, 2021"
    ("filings", "0001193125-25-314736.xml", "F1"): D(2025, 3, 13),  # "adopted by the reporting person on March 13, 2025"
    ("filings", "0001628280-25-058843.xml", "REMARKS"): D(2025, 2, 7),
    ("filings", "DarkMindFX-wf-form4_156694501621463.xml", "F7"): D(2019, 2, 26),  # "... person's trust on ..."
    **{("bulk", f"0000899243-21-0{n}.xml", "F1"): D(2021, 9, 14)
       for n in ("44687", "44921", "45944", "45947", "46679", "47607", "47959", "48676", "49309", "49477", "49992")},
    ("bulk", "0001062993-24-008173.xml", "F1"): D(2023, 12, 15),  # "trading plans adopted on December 15, 2023"
    ("bulk", "0001209191-23-055596.xml", "F1"): D(2023, 8, 15),
    ("bulk", "0001321655-24-000181.xml", "F1"): D(2024, 5, 15),
    ("bulk", "0001415889-24-012934.xml", "F1"): D(2023, 12, 12),
    ("bulk", "0001628280-21-024522.xml", "F1"): D(2021, 9, 16),
    **{("bulk", f"0001628280-{acc}.xml", "F1"): D(2022, 9, 15) for acc in ("22-028310", "23-000526", "23-006373")},
    **{("bulk", f"0001628280-24-0{n}.xml", "F1"): D(2023, 12, 14) for n in ("11724", "14731", "26836", "30951", "34864")},
    ("seed", "0001628280-23-037880.txt", "F1"): D(2023, 8, 2),  # "pursuant to a Rule 10b5-1 plan adopted August 2, 2023"
}


def _texts_citing_10b5_1(corpus: Path) -> dict[tuple[str, str, str], str]:
    found: dict[tuple[str, str, str], str] = {}
    for folder in ("filings", "bulk", "seed"):
        for path in sorted((corpus / folder).glob("*")):
            parsed = parse_filing(path.read_bytes(), source=str(path),
                                  accession=path.stem if path.suffix == ".xml" else None)
            if not isinstance(parsed, ParsedFiling):
                continue
            rows = parsed.rows()
            texts = [(f["FOOTNOTE_ID"], f["FOOTNOTE_TXT"]) for f in rows["footnotes"]]
            texts += [("REMARKS", s["REMARKS"]) for s in rows["submission"]]
            for source, text in texts:
                if cites_10b5_1(text):
                    found[(folder, path.name, source)] = text
    return found


def test_adoption_dates_of_real_10b5_1_footnotes(corpus_dir: Path) -> None:
    texts = _texts_citing_10b5_1(corpus_dir)
    dated = {key for key, text in texts.items() if names_a_date(text)}
    read = {key: a.date for key, text in texts.items() if (a := adoption(text)) is not None}
    # 47 texts cite Rule 10b5-1; 29 name a date and every one of those dates is read.
    assert len(texts) == 47
    assert dated == set(EXPECTED)
    assert read == EXPECTED
    completed = texts[("bulk", "0000899243-21-049992.xml", "F1")]
    assert "COMPLETED ON DECEMBER 28, 2021" in completed and read[("bulk", "0000899243-21-049992.xml", "F1")] == D(2021, 9, 14)
    undated = [text for key, text in texts.items() if key not in dated]
    assert any("since the fall of 2011" in t for t in undated)  # a season, not a date: nothing read

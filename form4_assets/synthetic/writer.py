"""Writing the synthetic mirror to disk, laid out exactly like EDGAR's archive.

A filing's bytes (the ``.txt`` or ``.nc`` container, broken on purpose when asked) go to
``Archives/edgar/data/<cik>/<accession without dashes>/<accession>.txt``; the day's
``master`` and ``form`` indexes go where ``edgar.paths.daily_index_path`` says EDGAR keeps them.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from pathlib import Path

from form4_assets.edgar.paths import daily_index_path
from form4_assets.synthetic.manifest import MANIFEST_NAME
from form4_assets.synthetic.indexes import IndexLine, render_form_index, render_master_index
from form4_assets.synthetic.ownership_xml import Document, Envelope, render_document, render_nc, render_text_only, render_txt


def prepare_root(root: Path) -> None:
    """Start from an empty mirror: a previous synthetic mirror here is replaced, anything else refused."""
    archives = root / "Archives" / "edgar"
    if archives.exists():
        if not (root / MANIFEST_NAME).exists():
            raise FileExistsError(f"{root}: holds an EDGAR tree that is not a synthetic mirror; refusing to overwrite")
        shutil.rmtree(archives)
    root.mkdir(parents=True, exist_ok=True)


def filing_text(rng: random.Random, env: Envelope, doc: Document, broken: str | None, container: str) -> str:
    """The filing's container text: ``doc`` in its envelope, or the kind of breakage ``broken`` names."""
    if broken == "no_xml":
        body = (f"FORM {doc.doc_type}\n\nUNITED STATES SECURITIES AND EXCHANGE COMMISSION\n"
                f"STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP\n\n1. Name of Reporting Person: {env.owners[0].name}\n"
                f"2. Issuer Name and Ticker: {env.issuer.name} ({env.issuer.ticker})\n"
                f"(The reporting person's table was submitted as a paper exhibit.)\n")
        return render_text_only(env, body)
    xml = render_document(doc)
    if broken == "malformed_xml":
        xml = xml.replace("</issuerName>", "</issuerNam>", 1)
    text = render_nc(env, xml) if container == "nc" else render_txt(env, xml)
    if broken == "truncated":
        start = text.index("<ownershipDocument>") + 40
        stop = text.index("</ownershipDocument>")
        text = text[: rng.randint(start, stop - 1)]
    return text


class MirrorWriter:
    """Writes filings and daily indexes under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.data_dir = str(root / "Archives" / "edgar" / "data")
        self.cik_dirs: set[int] = set()

    def write_filing(self, ciks: list[int], accession: str, data: bytes) -> str:
        """Write one filing's bytes under the first CIK's folder and hard-link them under the
        others (EDGAR serves a filing under every CIK its index lists it for); return the first
        one's index File Name (``edgar/data/<cik>/<accession>.txt``)."""
        # os-level calls and a memo of existing CIK folders: tens of thousands of files per run.
        first = None
        for cik in ciks:
            cik_dir = os.path.join(self.data_dir, str(cik))
            if cik not in self.cik_dirs:
                os.makedirs(cik_dir, exist_ok=True)
                self.cik_dirs.add(cik)
            folder = os.path.join(cik_dir, accession.replace("-", ""))
            os.mkdir(folder)
            target = os.path.join(folder, f"{accession}.txt")
            if first is None:
                with open(target, "wb") as out:
                    out.write(data)
                first = target
            else:
                try:
                    os.link(first, target)
                except OSError:  # a file system without hard links
                    shutil.copyfile(first, target)
        return f"edgar/data/{ciks[0]}/{accession}.txt"

    def write_indexes(self, day: dt.date, lines: list[IndexLine]) -> None:
        for kind, render in (("master", render_master_index), ("form", render_form_index)):
            path = self.root / daily_index_path(day, kind)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render(day, lines).encode("utf-8"))

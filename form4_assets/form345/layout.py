"""Printing sec_* rows back in the data set's own layout, line for line.

A row keeps the SEC's text of any field whose stored value would print differently
(SEC_SPELLING) and the columns the catalogue does not know (EXTRA_COLUMNS), so a data set
imported and printed with its own header gives its own lines back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from form4_assets.form345.values import to_sec
from form4_assets.tables import SEC_COLUMN_ALIASES, Table


def sec_fields(spec: Table, header: Sequence[str], row: Mapping[str, Any]) -> list[str]:
    """The row's fields in `header`'s order, as the SEC prints them."""
    spelled = json.loads(row["SEC_SPELLING"]) if row.get("SEC_SPELLING") else {}
    extra = json.loads(row["EXTRA_COLUMNS"]) if row.get("EXTRA_COLUMNS") else {}
    known = {c.name: c for c in spec.columns}
    fields = []
    for name in header:
        column = known.get(SEC_COLUMN_ALIASES.get(name, name))
        if column is None:
            fields.append(extra.get(name, ""))
        elif column.name in spelled:
            fields.append(spelled[column.name])
        else:
            fields.append(to_sec(column, row.get(column.name)))
    return fields


def sec_line(spec: Table, header: Sequence[str], row: Mapping[str, Any]) -> str:
    """One tab-separated line (no line end), quoted the SEC's way: a field holding a double
    quote is wrapped in double quotes with the inner ones doubled."""
    out = io.StringIO()
    csv.writer(out, delimiter="\t", quotechar='"', doublequote=True, lineterminator="").writerow(
        sec_fields(spec, header, row)
    )
    return out.getvalue()


#: Columns of the catalogue that the SEC's 2024 Q3 files do not have (its column metadata
#: lists the CONTACT_* ones; AFF10B5ONE is ours, from the schema X0508 element).
NOT_IN_2024Q3 = frozenset({"CONTACT_NAME", "CONTACT_PHONE_NUMBER", "CONTACT_EMAIL_ADDRESS",
                           "NOTIFICATION_EMAIL_ADDRESS", "AFF10B5ONE"})


def sec_header(spec: Table) -> tuple[str, ...]:
    """The header line of a data-set file as the SEC's 2024 Q3 files print it: the
    catalogue's data-set columns in order, less NOT_IN_2024Q3 (the files name the swap
    flag's footnotes EQUITY_SWAP_TRANS_CD_FN, as the catalogue does)."""
    return tuple(c.name for c in spec.columns if not c.extra and c.name not in NOT_IN_2024Q3)

"""The import's per-column converters give exactly what the reference conversion gives.

form345/convert.py takes common spellings on fast paths; every field here, common or
odd, must come out as `values.to_warehouse` and `values.spelling` say: the same value
(and type), the same refusal reason, the same SEC spelling kept.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from form4_assets.form345.convert import converter, spelling_of
from form4_assets.form345.values import BadValue, spelling, to_warehouse
from form4_assets.tables import SEC_TABLES_BY_FILE, Column

TRANS = SEC_TABLES_BY_FILE["NONDERIV_TRANS.tsv"]
SUBMISSION = SEC_TABLES_BY_FILE["SUBMISSION.tsv"]

EDGES = {
    "decimal": ["0", "0.0", "-0.0", "-0", "250000.0", "17.04", "17.10", "017.1", "1.", ".5", "+1.5", "1E+3", "1e3",
                "999999999999.9999", "1000000000000", "999999999999.99999", "0.12345", "0.10000", "12.3400",
                "NaN", "Infinity", "abc", " 1.5", "1.5 ", "١٢", "1_000", "-999999999999.9999", "00", "5"],
    "int": ["0", "1", "007", "123456789012345678", "9223372036854775807", "9223372036854775808", "-1", "1.0",
            "1.5", "x", "NaN", "١", " 1", "1e3"],
    "flag": ["0", "1", "true", "false", "TRUE", "False", " 1", "yes", "2", "t"],
    "date": ["27-SEP-2024", "01-JAN-2000", "31-FEB-2024", "29-FEB-2024", "29-FEB-2023", "27-sep-2024",
             "2024-09-27", "7-SEP-2024", "27-SEP-24", "00-SEP-2024", "27-XYZ-2024", "27-SEP-0999"],
    "fn": ["F1", "F1, F2", "F1,F2", "F1,  F2", "F1 ,F2", " F1", "F1\x00", "F1, F2, F3"],
    "text": ["Common Stock", "a\x00b", " padded ", '"quoted"'],
}


def _reference(column: Column, text: str) -> tuple[object, ...]:
    try:
        value = to_warehouse(column, text)
    except BadValue as exc:
        return ("refused", exc.reason, str(exc))
    return ("value", type(value), value, spelling(column, text, value) if column.kind in ("flag", "decimal") else None)


def _fast(column: Column, convert, spell, text: str) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    try:
        value = to_warehouse(column, text) if convert is None else convert(text)
    except BadValue as exc:
        return ("refused", exc.reason, str(exc))
    return ("value", type(value), value, spell(text, value) if spell is not None else None)


def _columns() -> dict[str, Column]:
    out: dict[str, Column] = {}
    for spec in (TRANS, SUBMISSION):
        for column in spec.columns:
            out.setdefault(column.kind, column)
    return out


def _generated(kind: str, rng: random.Random) -> str:
    if kind == "decimal":
        whole = str(rng.randint(0, 10 ** rng.randint(1, 14)))
        if rng.random() < 0.1:
            whole = "0" + whole
        sign = "-" if rng.random() < 0.2 else ""
        if rng.random() < 0.2:
            return sign + whole
        return f"{sign}{whole}.{rng.randint(0, 10 ** rng.randint(1, 6)):0{rng.randint(1, 6)}d}"
    if kind == "int":
        return str(rng.randint(0, 10 ** rng.randint(1, 20)))
    if kind == "date":
        return f"{rng.randint(0, 32):02d}-{rng.choice(['JAN', 'FEB', 'APR', 'DEC', 'Dec'])}-{rng.randint(1990, 2030)}"
    if kind == "flag":
        return rng.choice(["0", "1", "true", "false", "True", "x"])
    if kind == "fn":
        return rng.choice([", ", ",", " , "]).join(f"F{i}" for i in range(1, rng.randint(2, 4)))
    return rng.choice(["Common Stock", "x\x00", "Director"])


@pytest.mark.parametrize("kind", sorted(EDGES))
def test_fast_converters_equal_the_reference_on_edges_and_generated_fields(kind: str) -> None:
    column = _columns()[kind]
    rng = random.Random(kind)
    fields = EDGES[kind] + [_generated(kind, rng) for _ in range(3000)]
    convert, spell = converter(column), spelling_of(column)
    for _ in range(2):  # the second time round, a date comes from the converter's memory
        for text in fields:
            assert _fast(column, convert, spell, text) == _reference(column, text), (column.name, text)


def test_generated_decimals_reach_every_path() -> None:
    """The generated numbers are not all on the fast path: some are refused, some spelled."""
    column = _columns()["decimal"]
    rng = random.Random("decimal")
    outcomes = [_reference(column, _generated("decimal", rng)) for _ in range(3000)]
    assert any(o[0] == "refused" for o in outcomes)
    assert any(o[0] == "value" and o[3] is not None for o in outcomes)
    assert any(o[0] == "value" and o[3] is None and isinstance(o[2], Decimal) for o in outcomes)


def test_the_bulk_writer_binds_decimals_for_sqlite_like_the_schema() -> None:
    """The decimal columns' SQLite binding (which the bulk writer uses, with its quick path for
    common values) gives the general conversion's integer, and refuses what the storage cannot
    hold exactly."""
    from sqlalchemy.dialects import sqlite

    from form4_assets.warehouse.schema import _SCALE, TABLES, to_stored_decimal

    bind = TABLES["sec_nonderiv_trans"].c.TRANS_SHARES.type._cached_bind_processor(sqlite.dialect())

    rng = random.Random(7)
    values = [Decimal(t) for t in ("0", "-0", "-0.0", "17.04", "250000.0", "999999999999.9999", "-999999999999.9999",
                                   "1000000000000", "1.00000000000000000000000000000", "0.00001", "12.34560")]
    values += [Decimal(rng.randint(-10**17, 10**17)).scaleb(-rng.randint(0, 6)) for _ in range(3000)]
    values += [Decimal("NaN"), Decimal("Infinity"), 5, True, 1.5]
    refused = 0
    for value in values:
        try:
            expected: object = int(to_stored_decimal(value) * _SCALE)
        except (TypeError, ValueError) as exc:
            expected = type(exc)
        try:
            got: object = bind(value)
        except (TypeError, ValueError) as exc:
            got = type(exc)
        assert (got, type(got)) == (expected, type(expected)), value
        refused += isinstance(expected, type)
    assert 0 < refused < len(values)

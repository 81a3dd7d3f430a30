"""Stage 3, transactions: the specs of the transactions and holdings assets.

They are materialized by the parse step in form4_assets.defs.documents (one parse per
filing feeds every table); this module says what they are: their tables, columns and
where each column comes from.
"""

from __future__ import annotations

import dagster as dg

from form4_assets.defs.metadata import parsed_table_spec

_FROM_DOCUMENT = {
    "ACCESSION_NUMBER": ("ownership_documents", "ACCESSION_NUMBER"),
    "FILING_DATE": ("ownership_documents", "FILING_DATE"),
}


def transaction_specs() -> list[dg.AssetSpec]:
    """The transactions and holdings specs.

    Built on call, not at module level: Dagster's module loaders collect every AssetSpec
    they find at module scope, which would define these assets a second time beside
    the parse step that materializes them.
    """
    transactions = parsed_table_spec(
        "transactions",
        group="transactions",
        deps=["ownership_documents"],
        same_as=_FROM_DOCUMENT,
        description=(
            "One row per nonDerivativeTransaction (nonderiv_trans) and derivativeTransaction (deriv_trans), "
            "every field of the ownership schema in the SEC Form 345 data-set columns, with the footnote ids "
            "bound to each field (*_FN) and the row's position in its document (*_SK)."
        ),
    )
    holdings = parsed_table_spec(
        "holdings",
        group="transactions",
        deps=["ownership_documents"],
        same_as=_FROM_DOCUMENT,
        description=(
            "One row per nonDerivativeHolding (nonderiv_holding) and derivativeHolding (deriv_holding): "
            "positions reported without a transaction (Form 3, or holdings listed on Forms 4/5)."
        ),
    )
    return [transactions, holdings]

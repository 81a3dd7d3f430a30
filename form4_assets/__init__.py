"""form4_assets: SEC Forms 3/4/5 into a lineage-tracked insider-trading warehouse.

The package root stays free of Dagster imports so that the pure library parts
(parsing, EDGAR source, warehouse SQL) load fast for the command line and tests.
`defs` is resolved lazily so `dagster dev -m form4_assets` still finds it.
"""

from typing import Any

__all__ = ["defs"]


def __getattr__(name: str) -> Any:
    if name == "defs":
        from form4_assets.definitions import defs

        # Importing the definitions imports the `form4_assets.defs` sub-package (the Dagster
        # glue), and Python binds that sub-package to this same attribute name. Rebind it to
        # the Definitions so module scanners (`dagster dev -m form4_assets`) find them; the
        # sub-package stays importable by its full name (`from form4_assets.defs import ...`).
        globals()["defs"] = defs
        return defs
    raise AttributeError(f"module 'form4_assets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "defs"])

"""`epoch(column)`: a timestamp column read as UTC epoch seconds, computed by the database.

The SLA digest reads three timestamps per open ticket; letting the database hand over numbers skips
parsing SQLite's text timestamps and building datetimes that the clocks would turn back into numbers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement[float]):  # lower case: reads like the SQL function it stands for
    type = Float()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores UTC text; julianday() parses it to milliseconds, rounding removes float noise.
    (arg,) = element.clauses
    return f"ROUND((julianday({compiler.process(arg, **kw)}) - 2440587.5) * 86400.0, 3)"


@compiles(epoch)
def _epoch_default(element: epoch, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(arg, **kw)}) AS DOUBLE PRECISION)"

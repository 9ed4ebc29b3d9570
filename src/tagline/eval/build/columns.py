"""Small Arrow helpers the build's modules share: string arrays, contiguous and chunked columns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def string_array(values: Iterable[str]) -> Any:
    """``values`` as an Arrow string array (a ``value_set`` for ``is_in`` and ``index_in``)."""
    import pyarrow as pa

    return pa.array(list(values), pa.string())


def combined(column: Any) -> Any:
    """One contiguous array (Arrow hands back chunked arrays from tables)."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray):
        return column
    if column.num_chunks == 1:
        return column.chunk(0)  # combine_chunks would copy it
    return column.combine_chunks()


def chunked(column: Any) -> Any:
    """``column`` as a chunked array, which ``Table.from_arrays`` takes for every column alike."""
    import pyarrow as pa

    return column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])

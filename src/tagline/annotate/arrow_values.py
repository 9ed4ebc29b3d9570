"""Arrow arrays made from numpy arrays and Python strings through their buffers.

``pa.array``, ``pa.scalar`` and ``Array.to_numpy`` make pyarrow import pandas the first time one is
called (a Python string given to a compute function is made a scalar by ``pa.scalar``): half a second
of CPU and tens of megabytes in a command that has no other use for pandas (adjudication's gold lines)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def numbers(values: Any, missing: Any = None) -> pa.Array:
    """Numpy integers as an Arrow array of their type (null where ``missing``)."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    valid = None if missing is None or not missing.any() else \
        pa.py_buffer(np.packbits(~np.asarray(missing, dtype=bool), bitorder="little"))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [valid, pa.py_buffer(values)])


def strings(texts: Sequence[str]) -> pa.Array:
    """Python strings (no None) as an Arrow string array; its items are Arrow scalars."""
    import numpy as np
    import pyarrow as pa

    encoded = [text.encode() for text in texts]
    offsets = np.concatenate([[0], np.cumsum([len(text) for text in encoded])]).astype(np.int32)
    return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


def booleans(array: pa.Array) -> np.ndarray:
    """An Arrow boolean array without nulls as a numpy one."""
    import numpy as np

    if array.null_count:
        raise ValueError("a boolean array with nulls")
    bits = np.unpackbits(np.frombuffer(array.buffers()[1], dtype=np.uint8), bitorder="little")
    return bits[array.offset:array.offset + len(array)].astype(bool)


def join(*parts: Any, **options: Any) -> pa.Array:
    """``pyarrow.compute.binary_join_element_wise`` of ``parts``, its Python strings given as Arrow
    scalars (the last part is the separator)."""
    import pyarrow.compute as pc

    made = iter(strings([part for part in parts if isinstance(part, str)]))
    return pc.binary_join_element_wise(*(next(made) if isinstance(part, str) else part for part in parts),
                                       **options)

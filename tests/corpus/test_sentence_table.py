"""The sentence ids and token offsets read as columns and cached: the same as tokenising each
sentence, in the order asked for, from the cache as from the file, and a file Arrow refuses is
read line by line."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from tagline.corpus import sentence_table
from tagline.corpus.tokenize import tokenize
from tagline.corpus.workspace import init_workspace

TEXTS = ["DeepSeekは5000億ドルを調達した。", "岸田首相は東京で話した。", "The senator said so; nobody agreed.",
         "米国 テキサス州で\u3000工場が動く。"]


def workspace_of(tmp_path, n: int, extra: dict | None = None):
    workspace = init_workspace(tmp_path / "ws", language="ja")
    records = [{"id": f"d-s{i + 1:04d}", "doc_id": "d", "index": i + 1, "text": TEXTS[i % 4], "start": 0,
                "end": len(TEXTS[i % 4]), "lang": "en" if i % 4 == 2 else "ja", **(extra or {})} for i in range(n)]
    workspace.sentences_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return workspace, records


def offsets(tokens, k):
    bounds, starts, ends = tokens
    return list(zip(starts[bounds[k]:bounds[k + 1]].tolist(), ends[bounds[k]:bounds[k + 1]].tolist()))


@pytest.mark.parametrize("rows", [[7, 0, 3], list(range(40))[::-1], None], ids=["few", "most", "all"])
def test_tokens_are_tokenize_s_in_the_order_asked(tmp_path, rows):
    workspace, records = workspace_of(tmp_path, 40)
    asked = np.array(rows) if rows is not None else None
    for _ in range(2):  # made, then (but for a few) read from the cache
        tokens = sentence_table.sentence_tokens(workspace, asked)
        for k, row in enumerate(rows if rows is not None else range(40)):
            assert offsets(tokens, k) == tokenize(records[row]["text"], records[row]["lang"])
    assert sentence_table.sentence_ids(workspace)["id"].to_pylist() == [r["id"] for r in records]


def test_a_changed_corpus_is_read_again(tmp_path):
    workspace, records = workspace_of(tmp_path, 10)
    assert sentence_table.sentence_ids(workspace).num_rows == 10
    with open(workspace.sentences_path, "ab") as handle:
        handle.write(orjson.dumps({**records[0], "id": "d-s0011", "index": 11}) + b"\n")
    assert sentence_table.sentence_ids(workspace).num_rows == 11
    assert len(list(sentence_table.cache_dir(workspace).glob("sentences-*.arrow"))) == 1


def test_an_explicit_null_is_refused_as_the_typed_reader_refuses_it(tmp_path):
    from tagline.errors import DataError

    workspace, _ = workspace_of(tmp_path, 5, {"split": None})
    with pytest.raises(DataError, match=r"sentences.jsonl:1"):
        sentence_table.sentence_ids(workspace)

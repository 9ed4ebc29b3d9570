"""The caches in ``build/index/`` are Arrow files, which carry no checksum: a byte changed on the disk
(a flipped bit, a bad sector, a hand edit) that leaves the file whole and its values plausible must
not be read. A sentence id changed in the sentence ids' cache made adjudication write gold for
another sentence; now the digest the cache's name holds refuses it, and the ids are read again."""

from __future__ import annotations

import shutil

import pytest
from test_agree_columns import as_json, random_workspace

from tagline.annotate import columns, gold
from tagline.annotate.agree import agreement_report
from tagline.corpus import sentence_table


@pytest.mark.parametrize("where", ["id", "doc_id"])
def test_a_byte_changed_in_the_sentence_ids_cache_changes_neither_the_report_nor_the_gold(tmp_path, monkeypatch,
                                                                                          where):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(gold, "utc_now", lambda: "2026-12-01T00:00:00.000000Z")
    made = []
    for damaged in (False, True):
        workspace = random_workspace(tmp_path / str(damaged), 31, 60, 400, n_annotators=3, unconfigured=False)
        agreement_report(workspace)  # the ids' cache made
        if damaged:
            (cache,) = sentence_table.cache_dir(workspace).glob("sentences-*.arrow")
            data = bytearray(cache.read_bytes())
            old, new = (b"d1-s0002", b"d1-s0003") if where == "id" else (b"d1d1d1", b"d1d2d1")
            at = data.find(old)
            assert at > 0
            data[at:at + len(new)] = new  # the same length: a whole Arrow file, a plausible id
            cache.write_bytes(bytes(data))
        shutil.rmtree(sentence_table.cache_dir(workspace) / "folds")  # folded again, from the ids read
        report = as_json(agreement_report(workspace))
        gold.auto_adjudicate(workspace)
        made.append((report, workspace.gold_path.read_bytes(), sentence_table.sentence_ids(workspace).to_pylist()))
    assert made[0] == made[1] and made[0][1]

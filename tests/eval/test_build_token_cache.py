"""The corpus's tokens made once per state of ``sentences.jsonl`` and tokenizer: a build takes them
from the token cache that ``annotate agree`` or an earlier build made, and saves them there when it
tokenised every sentence; the dataset is the same, byte for byte, and a stale, foreign or damaged
cache is never read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.annotate.gold import auto_adjudicate
from tagline.corpus import sentence_table
from tagline.corpus.store import append_records
from tagline.corpus.tokenize import tokenize, words_at
from tagline.eval.build import build_dataset, tokens

AWKWARD = [
    "米国 テキサス州で\u3000工場が動く。 DeepSeek は  5000億ドルを\x0b調達した。",
    "絵文字😀🇯🇵と結合文字のが\u0301あるOpenAI社のGPT-4o。",
    "Mixed English and 日本語 text, with  two spaces.",
    "末尾に空白がある。   ",
    " 先頭に空白。",
    "東京\tで話した。",
    "東京\nで\r話した\u2003。",
    "東京\x00で話した",
    "",
    "   ",
    "The senator said so; nobody agreed 😀.",
]
PIECES = ["東京", "で", "話した", "。", "AI", "Jensen", "Huang", "😀", "が\u0301", "é", " ", "  ", "\u3000",
          "\n", "\t", "\x0b", "\x00", "a", "、"]


def cut_as_made(texts, langs):
    """The tokens cut from the texts at the offsets the workers give, and the workers' own."""
    import pyarrow as pa

    from tagline.corpus.tokenize import tokenize_many

    made, starts, ends = tokenize_many(pa.array(texts, pa.string()), pa.array(langs, pa.string()))
    counts, narrow_starts, narrow_ends = tokens.tokens_of_chunk(pa.array(texts, pa.string()),
                                                                pa.array(langs, pa.string()))
    # What a worker sends back: the token counts and the offsets (narrowed where they fit), no words.
    assert (narrow_starts == starts).all() and (narrow_ends == ends).all()
    bounds = np.concatenate(([0], np.cumsum(counts)))
    assert (bounds == np.asarray(made.offsets, dtype=np.int64)).all()
    within = pa.array(["前の文。", *texts, "後の文😀。"], pa.string()).slice(1, len(texts))  # data past the start
    return words_at(within, bounds, narrow_starts.astype(np.int32), narrow_ends.astype(np.int32)), made


def test_tokens_cut_from_the_texts_at_their_offsets_are_the_tokens_the_workers_make():
    texts = AWKWARD + AWKWARD[::-1]
    langs = ["en" if text.startswith("The") else "ja" for text in texts]
    cut, made = cut_as_made(texts, langs)
    assert cut.equals(made) and cut.to_pylist() == made.to_pylist()
    assert [word for word in cut[1].as_py() if "😀" in word or "\u0301" in word]  # 4-byte and combining


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from(["ja", "ja", "en"])),
                max_size=8))
def test_any_mix_of_texts_is_cut_as_the_workers_make_it(rows):
    texts = ["".join(pieces) for pieces, _ in rows]
    cut, made = cut_as_made(texts, [lang for _, lang in rows])
    assert cut.to_pylist() == made.to_pylist()


def files_of(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def token_caches(workspace) -> list[Path]:
    return sorted(sentence_table.cache_dir(workspace).glob("tokens-*.arrow"))


@pytest.fixture
def awkward_workspace(sample_workspace, tmp_path):
    """The sample workspace with a document of awkward texts, every sentence with gold (so that a build
    tokenises every sentence of the corpus)."""
    from tagline.corpus.ingest import add_documents

    auto_adjudicate(sample_workspace)
    extra = tmp_path / "awkward.txt"
    extra.write_text("\n\n".join(text for text in AWKWARD if text.strip() and "\n" not in text and "\x00" not in text),
                     encoding="utf-8")
    before = sample_workspace.sentences_path.read_text(encoding="utf-8").count("\n")
    add_documents(sample_workspace, [extra], lang="ja")
    added = [json.loads(line) for line in sample_workspace.sentences_path.read_text(encoding="utf-8").splitlines()[before:]]
    assert len(added) >= 6
    spans = []
    for sentence in added:  # a span over DeepSeek where there is one, else none
        at = sentence["text"].find("DeepSeek")
        spans.append([] if at < 0 else [{"start": at, "end": at + 8, "label": "ORG", "text": "DeepSeek"}])
    append_records(sample_workspace.gold_path, [
        {"sentence_id": sentence["id"], "task": "entities", "value": {"spans": spans[k]},
         "provenance": {"method": "adjudicated", "votes": {}}, "time": "2026-11-28T10:00:00Z"}
        for k, sentence in enumerate(added)])
    return sample_workspace


def never_tokenised(monkeypatch):
    monkeypatch.setattr(tokens, "tokens_of_chunk", lambda *args: pytest.fail("tokenised though the cache was there"))


def counting(monkeypatch) -> list[int]:
    calls = []
    real = tokens.tokens_of_chunk

    def counted(texts, langs):
        calls.append(len(texts))
        return real(texts, langs)

    monkeypatch.setattr(tokens, "tokens_of_chunk", counted)
    return calls


def test_a_build_saves_the_corpus_s_tokens_and_the_next_build_takes_them_the_dataset_the_same(
        awkward_workspace, tmp_path, monkeypatch):
    workspace = awkward_workspace
    made = build_dataset(workspace, out=tmp_path / "made", workers=1)
    assert len(token_caches(workspace)) == 1
    # What the build saved is what `annotate agree` makes and reads: tokenize's offsets of every sentence.
    never_tokenised(monkeypatch)
    monkeypatch.setattr("tagline.corpus.tokenize.tokenize_many", lambda *args: pytest.fail("agree tokenised"))
    bounds, starts, ends = sentence_table.sentence_tokens(workspace)
    sentences = list(workspace.iter_sentences())
    assert len(bounds) == len(sentences) + 1
    for k, sentence in enumerate(sentences):
        assert list(zip(starts[bounds[k]:bounds[k + 1]].tolist(), ends[bounds[k]:bounds[k + 1]].tolist())) == \
            tokenize(sentence["text"], sentence["lang"])
    cached = build_dataset(workspace, out=tmp_path / "cached", workers=1)
    assert cached.fingerprint == made.fingerprint and cached.entity_alignment == made.entity_alignment
    assert files_of(tmp_path / "cached") == files_of(tmp_path / "made")


def test_workers_begun_on_the_whole_corpus_save_its_tokens_for_agree_and_later_builds(
        awkward_workspace, tmp_path, monkeypatch):
    from tagline.eval.build import builder

    workspace = awkward_workspace
    bounds, starts, ends = sentence_table.sentence_tokens(workspace)  # as `annotate agree` makes them
    [agrees] = token_caches(workspace)
    agree_s = agrees.read_bytes()
    agrees.unlink()
    monkeypatch.setattr(tokens, "PARALLEL_TOKENS_MIN_SENTENCES", 0)
    monkeypatch.setattr(tokens, "TOKEN_CHUNK_SENTENCES", 8)  # chunks cut within splits
    monkeypatch.setattr(builder, "EARLY_TOKENS_GOLD_SHARE", 0.0)
    made = build_dataset(workspace, out=tmp_path / "made", workers=2)
    [saved] = token_caches(workspace)
    assert saved.name == agrees.name
    assert [array.tolist() for array in sentence_table.sentence_tokens(workspace)] == \
        [bounds.tolist(), starts.tolist(), ends.tolist()]
    # Agree's own cache (one batch) is read by the build as well as the build's (a batch a chunk).
    for cache in (saved.read_bytes(), agree_s):
        saved.write_bytes(cache)
        never_tokenised(monkeypatch)
        assert build_dataset(workspace, out=tmp_path / "cached", workers=2).fingerprint == made.fingerprint
        assert files_of(tmp_path / "cached") == files_of(tmp_path / "made")


def test_a_build_of_some_of_the_sentences_saves_no_tokens(sample_workspace, tmp_path):
    from tagline.corpus.ingest import add_documents

    auto_adjudicate(sample_workspace)
    extra = tmp_path / "extra.txt"
    extra.write_text("トヨタは東京で新しい車を発表した。\n", encoding="utf-8")
    add_documents(sample_workspace, [extra], lang="ja")  # a sentence without gold
    build_dataset(sample_workspace, out=tmp_path / "ds", workers=1)
    assert token_caches(sample_workspace) == []


def test_a_stale_cache_is_never_read(awkward_workspace, tmp_path, monkeypatch):
    from tagline.corpus.ingest import add_documents

    workspace = awkward_workspace
    build_dataset(workspace, out=tmp_path / "first", workers=1)
    [first] = token_caches(workspace)
    # Another tokenizer (its version, or the format of what tokenize returns): its key differs.
    monkeypatch.setattr(sentence_table, "_tokenizer_stamp", lambda: "1-9.9.9-9.9.9")
    calls = counting(monkeypatch)
    build_dataset(workspace, out=tmp_path / "other-tokenizer", workers=1)
    assert calls and [path.name for path in token_caches(workspace)] != [first.name]
    monkeypatch.undo()
    # The corpus appended to, its new sentence given gold.
    extra = tmp_path / "more.txt"
    extra.write_text("ソニーの株価は上がった。\n", encoding="utf-8")
    add_documents(workspace, [extra], lang="ja")
    new_id = json.loads(workspace.sentences_path.read_text(encoding="utf-8").splitlines()[-1])["id"]
    append_records(workspace.gold_path, [{"sentence_id": new_id, "task": "entities", "value": {"spans": []},
                                          "provenance": {"method": "adjudicated", "votes": {}},
                                          "time": "2026-11-28T11:00:00Z"}])
    calls = counting(monkeypatch)
    appended = build_dataset(workspace, out=tmp_path / "appended", workers=1)
    assert sum(calls) == sum(appended.configs["sentences"].values())  # every sentence tokenised again
    monkeypatch.undo()
    never_tokenised(monkeypatch)
    again = build_dataset(workspace, out=tmp_path / "again", workers=1)
    assert files_of(tmp_path / "again") == files_of(tmp_path / "appended") and again.fingerprint == appended.fingerprint


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "offsets past the text", "fewer rows",
                                    "overlapping tokens", "a token a character shorter"])
def test_a_damaged_cache_is_tokenised_again_as_if_it_were_not_there(awkward_workspace, tmp_path, monkeypatch, damage):
    import pyarrow as pa

    workspace = awkward_workspace
    made = build_dataset(workspace, out=tmp_path / "made", workers=1)
    [cache] = token_caches(workspace)
    data = cache.read_bytes()
    if damage in ("truncated", "garbage", "empty"):
        cache.write_bytes({"truncated": data[:len(data) // 2], "garbage": bytes(len(data)), "empty": b""}[damage])
    else:
        table = pa.ipc.open_file(pa.BufferReader(data)).read_all().combine_chunks()
        starts, ends = table["starts"].chunk(0), table["ends"].chunk(0)
        values = [np.asarray(starts.values).copy(), np.asarray(ends.values).copy()]
        if damage == "offsets past the text":
            values[1][-1] += 1000
        elif damage == "overlapping tokens":
            values[0][5] = values[0][4]
        elif damage == "a token a character shorter":  # still a token of its text: only the digest tells
            values[1][np.flatnonzero(values[1] - values[0] >= 2)[0]] -= 1
        rows = table.num_rows - (damage == "fewer rows")
        offsets = pa.array(np.asarray(starts.offsets)[:rows + 1])
        damaged = pa.table({"starts": pa.ListArray.from_arrays(offsets, pa.array(values[0])),
                            "ends": pa.ListArray.from_arrays(offsets, pa.array(values[1]))})
        with pa.OSFile(str(cache), "wb") as sink, pa.ipc.new_file(sink, damaged.schema) as writer:
            writer.write_table(damaged)
    calls = counting(monkeypatch)
    again = build_dataset(workspace, out=tmp_path / "again", workers=1)
    assert calls and again.fingerprint == made.fingerprint
    assert files_of(tmp_path / "again") == files_of(tmp_path / "made")


def test_a_cache_that_cannot_be_written_is_skipped(awkward_workspace, tmp_path):
    import shutil

    workspace = awkward_workspace
    shutil.rmtree(sentence_table.cache_dir(workspace), ignore_errors=True)
    sentence_table.cache_dir(workspace).parent.mkdir(parents=True, exist_ok=True)
    sentence_table.cache_dir(workspace).write_text("not a folder", encoding="utf-8")  # mkdir fails, as read-only
    report = build_dataset(workspace, out=tmp_path / "ds", workers=1)
    assert report.fingerprint and sentence_table.cache_dir(workspace).read_text(encoding="utf-8") == "not a folder"


def test_agree_does_not_read_a_cache_of_another_number_of_sentences(awkward_workspace, tmp_path, monkeypatch):
    import pyarrow as pa

    workspace = awkward_workspace
    want = [array.tolist() for array in sentence_table.sentence_tokens(workspace)]
    [cache] = token_caches(workspace)
    table = pa.ipc.open_file(pa.BufferReader(cache.read_bytes())).read_all()
    with pa.OSFile(str(cache), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table.slice(1))  # a sentence short, as a file whose last line lacks its newline can make
    assert [array.tolist() for array in sentence_table.sentence_tokens(workspace)] == want


def test_agree_does_not_read_a_cache_whose_offsets_were_changed_on_the_disk(awkward_workspace):
    """A token's end changed in the file's bytes (as a flipped bit would), the file still a whole
    Arrow file whose offsets fit the texts: agree tokenises again rather than take it."""
    workspace = awkward_workspace
    want = [array.tolist() for array in sentence_table.sentence_tokens(workspace)]
    [cache] = token_caches(workspace)
    bounds, starts, ends = (np.asarray(array, dtype=np.int32) for array in want)
    token = int(np.flatnonzero(ends - starts >= 2)[0])
    data = bytearray(cache.read_bytes())
    at = data.find(ends.tobytes())  # the ends' buffer, as written
    assert at > 0
    data[at + 4 * token:at + 4 * token + 4] = int(ends[token] - 1).to_bytes(4, "little")
    cache.write_bytes(bytes(data))
    assert [array.tolist() for array in sentence_table.sentence_tokens(workspace)] == want


def test_a_corpus_rewritten_in_place_while_the_build_reads_it_is_tokenised_not_taken_from_the_cache(
        awkward_workspace, tmp_path, monkeypatch):
    """The cache's key is taken before the sentences are read: a ``sentences.jsonl`` edited in place
    meanwhile (the same sentences, a text's characters in another order) gave the texts read the
    tokens of the texts before, a dataset of no state of the corpus."""
    from tagline.eval.build import reading

    workspace = awkward_workspace
    build_dataset(workspace, out=tmp_path / "first", workers=1)
    assert token_caches(workspace)
    records = [json.loads(line) for line in workspace.sentences_path.read_text(encoding="utf-8").splitlines()]
    record = next(r for r in reversed(records) if "DeepSeek" not in r["text"] and len(set(r["text"])) > 2
                  and '"' not in r["text"] and "\\" not in r["text"])
    before = json.dumps(record["text"], ensure_ascii=False)
    after = json.dumps(record["text"][::-1], ensure_ascii=False)
    real = reading.read_sentences

    def edited_then_read(workspace):
        data = workspace.sentences_path.read_bytes().replace(before.encode(), after.encode(), 1)
        with open(workspace.sentences_path, "r+b") as handle:  # in place: the same inode and size
            handle.write(data)
        return real(workspace)

    monkeypatch.setattr(reading, "read_sentences", edited_then_read)
    build_dataset(workspace, out=tmp_path / "edited", workers=1)
    monkeypatch.undo()
    shutil.rmtree(sentence_table.cache_dir(workspace))
    build_dataset(workspace, out=tmp_path / "cold", workers=1)
    edited, cold = files_of(tmp_path / "edited"), files_of(tmp_path / "cold")
    assert edited.pop("fingerprint.json") and cold.pop("fingerprint.json")  # the sources' stamps differ
    assert edited == cold


def test_offsets_past_what_uint16_holds_are_sent_as_int32_and_cut_right():
    import pyarrow as pa

    texts = ["東京で話した。" * 10_000, "東京"]  # 70,000 characters: offsets past 65,535
    counts, starts, ends = tokens.tokens_of_chunk(pa.array(texts, pa.string()), pa.array(["ja", "ja"], pa.string()))
    assert starts.dtype == ends.dtype == np.int32 and int(ends.max()) == 70_000
    cut, made = cut_as_made(texts, ["ja", "ja"])
    assert cut.equals(made)

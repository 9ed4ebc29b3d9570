"""Dataset build at a million sentences: `tagline eval build` against `datasets.load_dataset("json")`.

Generates a workspace of N Japanese sentences (default 1,000,000) with gold for every task: the
sample article's sentences recombined (the head clause of one with the tail of another), with
entities swapped for others of the same type, common words for near-synonyms and numbers varied,
so lengths, character mix and label distributions stay those of the sample's gold. Documents hold
20-50 sentences. The files are written the way tagline writes them (`init_workspace`, then
`sentences.jsonl`, `documents.jsonl`, `documents/<doc_id>.txt` and `gold/gold.jsonl`, the gold as
imported: provenance `imported`), streamed with orjson rather than through the per-document
ingest, which would make the generator the slow part. Offsets are checked for every sentence and
entity, and a sample of records against the JSON schemas.

Then, in the same run, each as a child process with its peak memory:
`datasets.load_dataset("json", data_files=gold.jsonl)` with a cold cache; the same on a copy of the
gold whose `value` fields all have the same shape (tagline's differ by task, which sends `datasets`
down a slow per-row path, so this is the tighter reference); `tagline eval build --json`; and
`tagline eval build --json --no-tokens`; and fugashi alone on the same text: every sentence's text
(read from `sentences.jsonl`) tokenised with `fugashi.Tagger` and the dictionary tagline uses
(unidic-lite), in one process, timed around the tokenising alone. The build with tokens runs twice:
cold, with no token cache (every sentence tokenised by the build's workers, which save the cache),
and then with the corpus's tokens cached, as after `annotate agree` or an earlier build of the same
corpus (nothing tokenised); the two datasets are compared file by file. Targets: the cold build
with tokens <= 1.3 x (fugashi's time / the processes the build tokenises in) (the cached build
tokenises nothing, so it is not judged against that target), the build without tokens <= 1.1 x
load_dataset(gold.jsonl), and peak memory <= 3 GB. Wall and CPU seconds (user + system of the
process and the children it waited for; for the builds also the build's own process and its
workers apart) are printed for each. Other processes on the machine skew the wall times: the load
average is printed, and CPU seconds are the steadier comparison.

    python benchmarks/build_1m.py [--sentences 1000000] [--keep] [--dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

from tagline.annotate.events import fold_events
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.corpus.sample import SAMPLE_DOC_ID, sample_file, sample_gold_sentences
from tagline.corpus.workspace import Workspace, init_workspace
from tagline.eval.build.tokens import cores
from tagline.schemas import schema_errors

TARGET_TOKENS_RATIO = 1.3  # build with tokens / (fugashi alone / processes)
TARGET_RATIO = 1.1  # build without tokens / load_dataset(gold.jsonl)
TARGET_RSS_BYTES = 3 * 10**9
SOURCE = "benchmarks/build_1m.py"
COLD = "eval build, cold (tokenised)"
CACHED = "eval build, tokens cached"
NO_TOKENS = "eval build --no-tokens"

# Entities of each type to swap in; the sample's own are added to these.
NAME_POOLS = {
    "PERSON": ["佐藤健太", "鈴木美咲", "高橋大輔", "田中陽子", "伊藤翔", "渡辺真理", "山本浩二", "中村彩", "王偉", "李娜",
               "張敏", "劉洋", "陳静", "Jensen Huang", "Satya Nadella", "Demis Hassabis", "Yann LeCun", "Fei-Fei Li",
               "Mira Murati", "Dario Amodei", "サム・アルトマン", "ジェンスン・フアン", "イーロン・マスク"],
    "ORG": ["Meta", "Microsoft", "Amazon", "Apple", "Tencent", "Mistral AI", "Cohere", "xAI", "AMD", "TSMC",
            "Samsung", "Zhipu AI", "01.AI", "Preferred Networks", "Sakana AI", "ソフトバンク", "トヨタ", "ソニー",
            "清華大学", "北京大学", "東京大学", "理化学研究所", "経済産業省", "商務省", "欧州委員会"],
    "GPE": ["日本", "欧州", "韓国", "台湾", "インド", "シンガポール", "北京", "上海", "深圳", "東京", "大阪",
            "シリコンバレー", "カリフォルニア州", "テキサス州", "ロンドン", "パリ", "ベルリン", "英国", "フランス",
            "ドイツ", "中国政府", "日本政府", "EU"],
    "PRODUCT": ["Gemini", "Llama 3", "Qwen2.5", "GPT-4o", "H100", "H20", "Ascend 910B", "Copilot", "Sora",
                "Kimi", "Ernie Bot", "TPU v5", "Blackwell"],
    "EVENT": ["AIセーフティサミット", "G7サミット", "世界人工知能大会", "CES", "NeurIPS", "一帯一路",
              "CHIPS法", "マンハッタン計画"],
}
MONEY_UNITS = ["億ドル", "万ドル", "億円", "兆円", "百万ドル", "億元"]
DATE_FORMS = ["{y}年", "{y}年{m}月", "{m}月", "{m}月{d}日", "{y}年{m}月{d}日", "昨年", "今年", "今週", "先月",
              "来年", "今後数年間", "過去{n}年間", "{y}年代"]
OPENERS = ["しかし、", "さらに、", "一方で、", "また、", "その結果、", "専門家によると、", "報道によれば、", "同社によると、",
           "実際、", "つまり、", "ただし、", "これに対し、"]
# Common words swapped for near-synonyms in the text around the entities, so texts rarely repeat.
WORD_SWAPS = {
    "AI": ["AI", "AI", "生成AI", "人工知能", "機械学習", "半導体", "ロボット", "自動運転", "量子計算", "LLM"],
    "チップ": ["チップ", "半導体", "GPU", "プロセッサ", "アクセラレータ"],
    "企業": ["企業", "会社", "事業者", "メーカー"],
    "モデル": ["モデル", "システム", "エンジン", "基盤モデル"],
    "未来": ["未来", "将来", "行方", "展望"],
    "課題": ["課題", "問題", "難題", "リスク"],
    "投資": ["投資", "出資", "支出", "資金投入"],
    "競争": ["競争", "争い", "競合", "主導権争い"],
    "規制": ["規制", "制限", "統制", "管理"],
    "リソース": ["リソース", "資源", "計算資源", "予算"],
    "最近": ["最近", "近年", "このほど", "先日"],
    "重要な": ["重要な", "大きな", "決定的な", "無視できない"],
    "計画": ["計画", "構想", "プロジェクト", "取り組み"],
    "テクノロジー": ["テクノロジー", "技術", "IT", "デジタル"],
    "全国": ["全国", "各地", "国内", "世界各地"],
    "最先端の": ["最先端の", "最新の", "高性能な", "次世代の"],
    "驚くべき": ["驚くべき", "注目すべき", "意外な", "異例の"],
    "可能性": ["可能性", "見込み", "恐れ", "余地"],
    "影響": ["影響", "波紋", "インパクト"],
    "戦略": ["戦略", "方針", "政策", "アプローチ"],
    "開発": ["開発", "研究", "構築", "設計"],
    "性能": ["性能", "精度", "能力", "品質"],
    "市場": ["市場", "マーケット", "業界", "分野"],
    "懸念": ["懸念", "不安", "警戒感", "危機感"],
    "対応": ["対応", "対策", "反応", "戦略"],
}
_SWAP = re.compile("|".join(sorted(WORD_SWAPS, key=len, reverse=True)))
# Numbers inside non-entity text and inside MONEY / DATE / PRODUCT names.
_DIGITS = re.compile(r"[0-9]+")
_CUT_AFTER = ("、", ",", ":", ":")


# ----- generating -----------------------------------------------------------------------------
def sample_templates() -> list[dict]:
    """The sample's sentences as segments ``(text, entity label or None)`` with their gold labels."""
    texts = sample_gold_sentences()
    answers = fold_events(orjson.loads(line) for line in
                          sample_file(f"{SAMPLE_DOC_ID}.annotations.jsonl").read_bytes().splitlines() if line)
    templates = []
    for number, text in enumerate(texts, 1):
        gold = answers[f"{SAMPLE_DOC_ID}-s{number:04d}"]
        spans = sorted(gold[("entities", None)]["spans"], key=lambda s: s["start"])
        segments, cursor = [], 0
        for span in spans:
            assert text[span["start"]:span["end"]] == span["text"], (number, span)
            if span["start"] > cursor:
                segments.extend(_plain_segments(text[cursor:span["start"]]))
            segments.append((span["text"], span["label"]))
            cursor = span["end"]
        if cursor < len(text):
            segments.extend(_plain_segments(text[cursor:]))
        cuts = [i + 1 for i, (piece, label) in enumerate(segments[:-1]) if label is None and piece.endswith(_CUT_AFTER)]
        templates.append({"segments": segments, "cuts": cuts, "claim": gold[("claim_type", None)]["label"],
                          "stance": {target: value["label"] for (task, target), value in gold.items()
                                     if task == "stance"}})
    return templates


def _plain_segments(text: str) -> list[tuple[str, None]]:
    """Non-entity text, cut after each comma so clauses can be recombined."""
    pieces = re.split(r"(?<=[、,::])", text)
    return [(piece, None) for piece in pieces if piece]


class SentenceMaker:
    """Makes new sentences (text, spans, labels) from the sample's templates, deterministically for a seed."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.templates = sample_templates()
        self.with_cuts = [t for t in self.templates if t["cuts"]]
        self.pools = {label: list(names) for label, names in NAME_POOLS.items()}
        for template in self.templates:
            for piece, label in template["segments"]:
                if label in self.pools and piece not in self.pools[label]:
                    self.pools[label].append(piece)

    def _digits(self, match: re.Match) -> str:
        width = len(match.group())
        if width == 1:
            return str(self.random.randint(1, 9))
        return str(self.random.randint(10 ** (width - 1), 10**width - 1))

    def _swap(self, match: re.Match) -> str:
        return self.random.choice(WORD_SWAPS[match.group()])

    def _date(self) -> str:
        rnd = self.random
        return rnd.choice(DATE_FORMS).format(y=rnd.randint(1990, 2030), m=rnd.randint(1, 12), d=rnd.randint(1, 28),
                                             n=rnd.randint(2, 30))

    def _entity(self, text: str, label: str) -> str:
        rnd = self.random
        if label == "MONEY":
            return f"{rnd.choice([rnd.randint(1, 9), rnd.randint(10, 999), rnd.randint(1000, 9999)])}" \
                   f"{rnd.choice(MONEY_UNITS)}" if rnd.random() < 0.7 else _DIGITS.sub(self._digits, text)
        if not text and label in self.pools:
            return rnd.choice(self.pools[label])
        if label == "DATE":
            return text if text and rnd.random() < 0.3 else self._date()
        if rnd.random() < 0.6:
            text = rnd.choice(self.pools[label])
        return _DIGITS.sub(self._digits, text) if label == "PRODUCT" else text

    def make(self) -> tuple[str, list[dict], str, dict[str, str]]:
        rnd = self.random
        tail = rnd.choice(self.templates)
        segments = tail["segments"]
        if tail["cuts"] and rnd.random() < 0.8:
            head = rnd.choice(self.with_cuts)
            segments = head["segments"][:rnd.choice(head["cuts"][:2])] + segments[rnd.choice(tail["cuts"]):]
        prefix: list[tuple[str, str | None]] = []
        if not segments[-1][0].endswith("。") and rnd.random() < 0.7:  # a heading
            prefix += [("", rnd.choice(("ORG", "GPE", "PRODUCT"))), (rnd.choice(("の", "と", "における")), None)]
        elif rnd.random() < 0.25:
            prefix.append((rnd.choice(OPENERS), None))
        if rnd.random() < 0.1:
            prefix += [("", "DATE"), ("、", None)]  # a new date
        parts, spans, cursor = [], [], 0
        for piece, label in prefix + segments:
            if label is None:
                piece = _SWAP.sub(self._swap, _DIGITS.sub(self._digits, piece))
            else:
                piece = self._entity(piece, label)
                spans.append({"start": cursor, "end": cursor + len(piece), "label": label, "text": piece})
            parts.append(piece)
            cursor += len(piece)
        # The predicate (and so the claim and the stance) is at the end of a Japanese sentence.
        return "".join(parts), spans, tail["claim"], tail["stance"]


def generate(root: Path, n_sentences: int, seed: int = 7) -> dict:
    """Write a workspace of ``n_sentences`` sentences with gold at ``root``; return what was made."""
    workspace = init_workspace(root, language="ja", targets=list(SAMPLE_TARGETS))  # the sample's gold has stance
    targets = workspace.config.targets
    maker = SentenceMaker(seed)
    rnd = random.Random(seed + 1)
    dumps = orjson.dumps
    lengths: list[int] = []
    digests: set[bytes] = set()
    now = "2026-11-28T09:00:00.000000Z"
    n_documents = 0
    samples: dict[str, list[dict]] = {"sentence": [], "document": [], "gold": []}
    block = 1 << 22
    with open(workspace.sentences_path, "wb", buffering=block) as sentences_out, \
            open(workspace.documents_path, "wb", buffering=block) as documents_out, \
            open(workspace.gold_path, "wb", buffering=block) as gold_out:
        made = 0
        while made < n_sentences:
            n_documents += 1
            doc_id = f"news-{n_documents:06d}"
            count = min(rnd.randint(20, 50), n_sentences - made)
            pieces, sentence_records, gold_records, cursor = [], [], [], 0
            for index in range(1, count + 1):
                text, spans, claim, stance = maker.make()
                sentence_id = f"{doc_id}-s{index:04d}"
                record = {"id": sentence_id, "doc_id": doc_id, "index": index, "text": text, "start": cursor,
                          "end": cursor + len(text), "lang": "ja"}
                sentence_records.append(record)
                pieces.append(text)
                cursor += len(text)
                if index < count:
                    gap = "\n\n" if rnd.random() < 0.25 else ""
                    pieces.append(gap)
                    cursor += len(gap)
                provenance = {"method": "imported", "votes": {}, "source": SOURCE}
                for target in targets:
                    gold_records.append({"sentence_id": sentence_id, "task": "stance",
                                         "value": {"target": target, "label": stance[target]},
                                         "provenance": provenance, "time": now, "target": target})
                gold_records.append({"sentence_id": sentence_id, "task": "claim_type", "value": {"label": claim},
                                     "provenance": provenance, "time": now})
                gold_records.append({"sentence_id": sentence_id, "task": "entities", "value": {"spans": spans},
                                     "provenance": provenance, "time": now})
                lengths.append(len(text))
                digests.add(hashlib.blake2b(text.encode(), digest_size=8).digest())
            document_text = "".join(pieces) + "\n"
            for record in sentence_records:
                assert document_text[record["start"]:record["end"]] == record["text"]
            for record in gold_records:
                if record["task"] == "entities":
                    text = sentence_records[int(record["sentence_id"].rsplit("-s", 1)[1]) - 1]["text"]
                    assert all(text[s["start"]:s["end"]] == s["text"] for s in record["value"]["spans"])
            with open(workspace.document_text_path(doc_id), "w", encoding="utf-8", newline="") as handle:
                handle.write(document_text)
            document_record = {"doc_id": doc_id, "source": f"{SOURCE}#{doc_id}", "format": "txt",
                               "encoding": "utf-8", "lang": "ja",
                               "text_sha256": hashlib.sha256(document_text.encode()).hexdigest(),
                               "n_sentences": count, "added": now}
            sentences_out.write(b"".join(dumps(r) + b"\n" for r in sentence_records))
            gold_out.write(b"".join(dumps(r) + b"\n" for r in gold_records))
            documents_out.write(dumps(document_record) + b"\n")
            if n_documents % 97 == 1:
                samples["sentence"] += sentence_records[:3]
                samples["document"].append(document_record)
                samples["gold"] += gold_records[:8]
            made += count
    for name, records in samples.items():
        for record in records:
            errors = schema_errors(name, record)
            assert not errors, (name, record, errors)
    return {"workspace": workspace, "documents": n_documents, "lengths": lengths, "unique": len(digests),
            "validated": sum(len(r) for r in samples.values())}


# ----- measuring ------------------------------------------------------------------------------
def _tree_memory(pid: int) -> int:
    """Bytes of memory that ``pid`` and all its descendants hold now: the sum of their proportional
    set sizes (PSS), so pages shared between them count once (RSS where PSS cannot be read)."""
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        current = todo.pop()
        try:
            try:
                with open(f"/proc/{current}/smaps_rollup") as handle:
                    total += next(int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:"))
            except (PermissionError, StopIteration):
                with open(f"/proc/{current}/statm") as handle:
                    total += int(handle.read().split()[1]) * page
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


class TreePeak:
    """While open, the largest :func:`_tree_memory` of ``pid`` and its descendants, sampled every 50 ms
    in a thread (a short spike can be missed); ``peak`` once closed."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, _tree_memory(self.pid))

    def __enter__(self) -> TreePeak:
        self._sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._sampler.join()


def measure(command: list[str]) -> dict:
    """Run ``command``; its wall time, stdout, the peak RSS of its largest process (``ru_maxrss`` from
    ``wait4``, which covers the descendants it waited for) and the peak memory of the whole process
    tree at once (PSS summed over the processes, sampled every 50 ms, so a short spike can be missed)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreePeak(child.pid) as tree:
        stdout_chunks, stderr_chunks = [], []
        readers = [threading.Thread(target=lambda s=stream, c=chunks: c.append(s.read()), daemon=True)
                   for stream, chunks in ((child.stdout, stdout_chunks), (child.stderr, stderr_chunks))]
        for reader in readers:
            reader.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    for reader in readers:
        reader.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = b"".join(stdout_chunks).decode(), b"".join(stderr_chunks).decode()
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr[-3000:]}")
    measured = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss": usage.ru_maxrss * 1024,
                "tree": tree.peak, "stdout": stdout}
    for line in stderr.splitlines():  # the build's own CPU and its workers', as BUILD reports them
        if line.startswith("BUILD-CPU "):
            measured.update(json.loads(line.removeprefix("BUILD-CPU ")))
    return measured


# `tagline` run in this interpreter, reporting at its exit the CPU seconds of its own process and of
# the worker processes it waited for (atexit handlers run last-registered first: this one last).
BUILD = """
import atexit, json, os, resource, sys
def report():
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    os.write(2, ("BUILD-CPU " + json.dumps({"own": own.ru_utime + own.ru_stime,
                                             "workers": workers.ru_utime + workers.ru_stime}) + "\\n").encode())
atexit.register(report)
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


def token_caches(workspace: Workspace) -> list[Path]:
    return sorted((workspace.build_dir / "index").glob("tokens-*.arrow"))


def files_digest(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


LOAD_DATASET = """
import json, sys, time
started = time.perf_counter()
import datasets
datasets.disable_progress_bars()
imported = time.perf_counter()
dataset = datasets.load_dataset("json", data_files=sys.argv[1], cache_dir=sys.argv[2], split="train")
loaded = time.perf_counter()
features = ", ".join(f"{name}: {type(feature).__name__}" for name, feature in dataset.features.items())
print(json.dumps({"rows": dataset.num_rows, "import": imported - started, "load": loaded - imported,
                  "features": features}))
"""


FUGASHI = """
import json, sys, time
import fugashi, orjson, unidic_lite
dicdir = unidic_lite.DICDIR  # the dictionary tagline's tokenizer uses
tagger = fugashi.Tagger(f'-r "{dicdir}/mecabrc" -d "{dicdir}"')
with open(sys.argv[1], "rb") as lines:
    texts = [orjson.loads(line)["text"] for line in lines]
wall, cpu = time.perf_counter(), time.process_time()
tokens = 0
for text in texts:
    tokens += len([word.surface for word in tagger(text)])
print(json.dumps({"sentences": len(texts), "tokens": tokens, "wall": time.perf_counter() - wall,
                  "cpu": time.process_time() - cpu}))
"""


def write_uniform_gold(source: Path, target: Path) -> None:
    """The same gold records with every ``value`` holding the same fields (target, label, spans; null
    where a task has none) and without the empty ``votes``: the layout ``datasets`` reads in Arrow."""
    with open(source, "rb") as records, open(target, "wb", buffering=1 << 22) as out:
        for line in records:
            record = orjson.loads(line)
            value = record["value"]
            record["value"] = {"target": value.get("target"), "label": value.get("label"), "spans": value.get("spans")}
            provenance = record["provenance"]
            record["provenance"] = {"method": provenance["method"], "source": provenance.get("source")}
            record.setdefault("target", None)
            out.write(orjson.dumps(record) + b"\n")


def _gb(value: int) -> str:
    return f"{value / 1e9:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace (its path is printed)")
    parser.add_argument("--dir", default=None, help="where to make the workspace (default: a new temporary folder)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="tagline-build1m-", dir=args.dir))
    try:
        started = time.perf_counter()
        made = generate(root / "ws", args.sentences)
        workspace: Workspace = made["workspace"]
        lengths = made["lengths"]
        gold_bytes = workspace.gold_path.stat().st_size
        print(f"generated {len(lengths):,} sentences in {made['documents']:,} documents in "
              f"{time.perf_counter() - started:.1f} s: mean {statistics.mean(lengths):.1f} chars "
              f"(median {statistics.median(lengths):.0f}, max {max(lengths)}), "
              f"{made['unique'] / len(lengths):.1%} distinct texts; gold.jsonl {gold_bytes / 2**20:.0f} MiB, "
              f"{4 * len(lengths):,} records; {made['validated']} sampled records valid against the schemas")
        print(f"workspace: {workspace.root}")
        del made, lengths
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())

        runs = {}
        cache = root / "hf-cache"
        runs["load_dataset(gold.jsonl)"] = measure([sys.executable, "-c", LOAD_DATASET, str(workspace.gold_path),
                                                    str(cache)])
        shutil.rmtree(cache, ignore_errors=True)
        uniform = root / "gold-uniform.jsonl"
        write_uniform_gold(workspace.gold_path, uniform)
        runs["load_dataset(uniform copy)"] = measure([sys.executable, "-c", LOAD_DATASET, str(uniform), str(cache)])
        shutil.rmtree(cache, ignore_errors=True)
        uniform.unlink()
        base = [sys.executable, "-c", BUILD, "eval", "build", "--json", "--workspace", str(workspace.root)]
        for cache in token_caches(workspace):  # cold: no token cache (none is made by the generator)
            cache.unlink()
        outs = {name: workspace.build_dir / f"bench-{kind}" for name, kind in ((COLD, "cold"), (CACHED, "cached"))}
        runs[COLD] = measure(base + ["--out", str(outs[COLD])])
        caches = token_caches(workspace)
        if not caches:
            sys.exit("the cold build saved no token cache")
        runs[CACHED] = measure(base + ["--out", str(outs[CACHED])])
        identical = files_digest(outs[COLD]) == files_digest(outs[CACHED])
        for out in outs.values():
            shutil.rmtree(out, ignore_errors=True)
        out = workspace.build_dir / "bench-dataset"
        runs[NO_TOKENS] = measure(base + ["--out", str(out), "--no-tokens"])
        shutil.rmtree(out, ignore_errors=True)
        fugashi = json.loads(measure([sys.executable, "-c", FUGASHI, str(workspace.sentences_path)])["stdout"])
        loaded = {name: json.loads(runs[name]["stdout"]) for name in runs if name.startswith("load_dataset")}
        report = json.loads(runs[COLD]["stdout"])
        cached_report = json.loads(runs[CACHED]["stdout"])

        print(f"\nmachine: {os.cpu_count()} cores; load average before the runs {load_before}, after "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"\n{'':44} {'wall':>8} {'CPU':>8} {'own CPU':>8} {'workers':>8} {'peak RSS':>10} {'peak PSS':>10}")
        print(f"{'':44} {'':>8} {'':>8} {'':>8} {'CPU':>8} {'(largest)':>10} {'(tree)':>10}")
        for name, run in runs.items():
            own = f"{run['own']:7.1f}s {run['workers']:7.1f}s" if "own" in run else f"{'':>8} {'':>8}"
            print(f"{name:44} {run['wall']:7.1f}s {run['cpu']:7.1f}s {own} {_gb(run['max_rss']):>10} "
                  f"{_gb(run['tree']):>10}")
        for name, numbers in loaded.items():
            print(f"{name}: {numbers['rows']:,} rows; import datasets {numbers['import']:.1f} s, "
                  f"load_dataset() {numbers['load']:.1f} s, features {numbers['features']}")
        print(f"fugashi.Tagger alone, one process: {fugashi['sentences']:,} sentences, {fugashi['tokens']:,} tokens "
              f"in {fugashi['wall']:.1f} s wall, {fugashi['cpu']:.1f} s CPU (tokenising only)")
        print(f"build: {', '.join(f'{k} {sum(v.values()):,} rows' for k, v in report['configs'].items())}; "
              f"fingerprint {report['fingerprint']}; {report['split_method']}")
        print(f"token cache saved by the cold build: {caches[0].stat().st_size / 2**20:.0f} MiB; the build from it: "
              f"fingerprint {cached_report['fingerprint']}, every file "
              f"{'the same as the cold build' if identical else 'NOT the same as the cold build'}")
        print()
        processes = cores()
        with_tokens, cached, without = runs[COLD], runs[CACHED], runs[NO_TOKENS]
        ideal_wall, ideal_cpu = fugashi["wall"] / processes, fugashi["cpu"]
        print(f"cold build, every sentence tokenised (in {processes} processes) / (fugashi alone / {processes}): "
              f"{with_tokens['wall'] / ideal_wall:.2f} wall; CPU: build / fugashi alone "
              f"{with_tokens['cpu'] / ideal_cpu:.2f} (target <= {TARGET_TOKENS_RATIO}): "
              f"{'met' if with_tokens['wall'] / ideal_wall <= TARGET_TOKENS_RATIO else 'NOT met'}")
        print(f"build with the corpus's tokens cached (nothing tokenised; NOT a tokenising figure, not judged "
              f"against the target): {cached['wall'] / ideal_wall:.2f} of (fugashi alone / {processes}) wall, "
              f"{cached['cpu'] / ideal_cpu:.2f} of fugashi's CPU; {cached['wall'] / with_tokens['wall']:.2f} of "
              f"the cold build's wall, {cached['cpu'] / with_tokens['cpu']:.2f} of its CPU")
        for name in (COLD, CACHED, NO_TOKENS):
            run = runs[name]
            peak = max(run["max_rss"], run["tree"])
            ratios = "; ".join(f"/ {reference} = {run['wall'] / runs[reference]['wall']:.2f} wall, "
                               f"{run['cpu'] / runs[reference]['cpu']:.2f} CPU" for reference in loaded)
            print(f"{name:44} {ratios}")
            print(f"{'':44} peak memory {_gb(peak)} (target <= {_gb(TARGET_RSS_BYTES)}): "
                  f"{'met' if peak <= TARGET_RSS_BYTES else 'NOT met'}")
        literal = without["wall"] / runs["load_dataset(gold.jsonl)"]["wall"]
        print(f"without tokens / load_dataset(gold.jsonl): {literal:.2f} wall (target <= {TARGET_RATIO}): "
              f"{'met' if literal <= TARGET_RATIO else 'NOT met'}")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

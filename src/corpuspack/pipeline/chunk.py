"""One chunk of seed files: read, validate, split, compute dedup features, spill to Arrow files.

This is the per-document half of the pipeline: pure, run in parallel by an engine. A worker reads
its own files and writes its own spill; only findings and small counts travel back.

A chunk's spill is three Arrow IPC files: its documents (metadata), its paragraphs' fixed-width
features (read by dedup, by place, so left uncompressed: hashes do not compress anyway) and its
paragraphs' texts, read once by the writer. Texts and documents are zstd-compressed (level 1):
the texts shrink 2.3x for 0.03 ms of CPU per paragraph, and the spill is most of what a build
writes besides its output (a million documents: 7 GB of text).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..config import Config
from ..dedup.features import feature_schema, paragraph_features, paragraph_words
from ..ids import ID_SCHEMA, id_table
from ..model import Document, Finding
from ..schema import load_schema
from ..sources import SeedFile
from ..sources.discover import stamp
from ..tables import DOCUMENT_SPILL, METADATA_NAMES
from ..validation import read_valid
from ..version import __version__
from .facts import file_facts, path_facts, sha256_of
from .measured import document_signals, exclude_filtered
from .unchanged import stats, unchanged

SEED_FACTS = pa.schema(
    [("path", pa.string()), ("size", pa.int64()), ("sha256", pa.string()), ("git_blob", pa.string())]
)


# 2: texts in a file of their own, zstd-compressed; `text_bytes` among the features. 3: no shingle
# sets (made again from the texts of candidate pairs); texts in batches of TEXT_BATCH_ROWS.
SPILL_FORMAT = 3
TEXT_BATCH_ROWS = 1024  # a few hundred kB of text: what reading one candidate's text decompresses
TEXT_SPILL = pa.schema([pa.field("text", pa.large_string())])
COMPRESSED = pa.ipc.IpcWriteOptions(compression=pa.Codec("zstd", 1))


def paragraph_spill_schema(config: Config) -> pa.Schema:
    base = [pa.field("doc", pa.int32(), nullable=False), pa.field("pidx", pa.int32(), nullable=False)]
    size = pa.field("text_bytes", pa.int32(), nullable=False)  # UTF-8 bytes: the writer cuts row groups by it
    return pa.schema([*base, size, *feature_schema(config.dedup)])


@dataclass(frozen=True)
class Chunk:
    """A run of seed files read by one worker; `key` names its spill and says what it depends on."""

    index: int
    key: str
    seeds: Sequence[SeedFile]  # a `SeedList` in a build: columns, not an object per seed


@dataclass
class ChunkResult:
    """What a worker sends back: findings, the documents it read (ids and where), seed file facts."""

    index: int
    key: str
    findings: list[Finding] = field(default_factory=list)
    ids: pa.Table = field(default_factory=ID_SCHEMA.empty_table)  # id, path and line of every document read
    seeds: pa.Table = field(default_factory=SEED_FACTS.empty_table)  # path, size, sha256, git_blob of every file
    documents: int = 0
    paragraphs: int = 0


def spill_paths(work: Path, key: str) -> tuple[Path, Path, Path]:
    """A chunk's documents, paragraph features and paragraph texts."""
    return work / f"docs-{key}.arrow", work / f"paragraphs-{key}.arrow", work / f"texts-{key}.arrow"


def marker_path(work: Path, key: str) -> Path:
    return work / f"chunk-{key}.done"


def seeds_path(work: Path, key: str) -> Path:
    """The relative paths of a chunk's seeds, in order (JSON): how the next build plans it (`plan_kept`)."""
    return work / f"chunk-{key}.seeds"


def keep_seeds(work: Path, key: str, seeds: Sequence[SeedFile], again: bool = True) -> None:
    """Write `seeds_path` (not `again` when there is one: a chunk kept from an older corpuspack)."""
    path = seeds_path(work, key)
    if again or not os.path.lexists(path):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([seed.rel for seed in seeds], ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)


def chunk_key(seeds: Sequence[SeedFile], config: Config, schema_sha256: str) -> str:
    """What a chunk's spill depends on: the software, the settings, and each file's path, size and
    modification time (with its sidecar's), so a changed input or setting redoes the chunk."""
    digest = hashlib.sha256()
    settings = [__version__, config.language, config.license, config.max_file_bytes, config.strict, schema_sha256]
    settings += [config.output_format, config.filters(), SPILL_FORMAT]  # signals are spilled from format 3
    digest.update(json.dumps([settings, config.dedup.describe()], sort_keys=True).encode())
    for seed in seeds:
        digest.update(f"{seed.rel}\0{seed.stamp or stamp(seed.file)[1]}\n".encode())
    return digest.hexdigest()[:32]


MAX_MARKER_BYTES = 1 << 28


def load_finished(work: Path, key: str, seeds: Sequence[SeedFile]) -> ChunkResult | None:
    """The result of a chunk an earlier, interrupted build finished, if its files are all there,
    its marker is sound data, its spill files have the sizes, rows and schemas the marker and the
    spill format say, and every input file still has the content it had (a file restored with its old size
    and mtime is caught here, not trusted)."""
    marker = marker_path(work, key)
    if not marker.is_file() or not all(p.is_file() for p in spill_paths(work, key)):
        return None
    try:
        if marker.stat().st_size > MAX_MARKER_BYTES:
            return None
        body = json.loads(marker.read_bytes())
        result = _result_from(body, key)
        if not _spill_intact(work, key, body):
            return None
    except (OSError, ValueError, TypeError, KeyError, OverflowError, RecursionError, pa.ArrowException):
        return None
    files = _files(seeds)
    same = unchanged(files, body.get("stats")) and sorted(body["contents"]) == sorted(rel for rel, _ in files)
    if not same and body.get("contents") != _contents(files, {}):
        return None
    return result


def _files(seeds: Sequence[SeedFile]) -> list[tuple[str, str]]:
    """(rel, path) of every file a chunk of `seeds` reads: its seeds and their sidecars, once each."""
    out: dict[str, str] = {}
    for seed in seeds:
        out.setdefault(seed.rel, seed.file)
        side = seed.sidecar_file if seed.sidecar is not False and seed.kind == "text" else None
        if side is not None:
            folder = seed.rel.rsplit("/", 1)[0] + "/" if "/" in seed.rel else ""
            out.setdefault(folder + os.path.basename(side), side)
    return list(out.items())


def _contents(files: list[tuple[str, str]], known: dict[str, str]) -> dict[str, str]:
    """sha256 of every file the chunk read (`_files`): its seeds and their sidecars. `known` gives hashes
    already taken (at build time, those of the chunk's own files); the others are read here (on
    resume, with none known, every file is)."""
    out: dict[str, str] = {}
    for rel, file in files:
        if rel in known:
            out[rel] = known[rel]
        elif os.path.isfile(file):
            out[rel] = sha256_of(file, rel)
    return out


def _spill_intact(work: Path, key: str, body: dict) -> bool:
    """Whether each spill file has the size written into the marker, an Arrow footer that reads, its
    schema and the marker's count of rows (a file cut short, or overwritten after the chunk
    finished, is done again, not read as garbage; rows are counted from the batches' metadata)."""
    paths, sizes = spill_paths(work, key), body["files"]
    if not isinstance(sizes, dict) or sorted(sizes) != sorted(p.name for p in paths):
        return False
    schemas, counts = (DOCUMENT_SPILL, None, TEXT_SPILL), (body["documents"], *[body["paragraphs"]] * 2)
    for path, schema, rows in zip(paths, schemas, counts, strict=True):
        if path.stat().st_size != sizes[path.name]:
            return False
        with pa.OSFile(str(path)) as source:
            reader = pa.ipc.open_file(source)
            if reader.count_rows() != rows or (schema is not None and not reader.schema.equals(schema)):
                return False
    return True


def _marker_body(result: ChunkResult, contents: dict[str, str], stats: dict[str, str], files: dict[str, int]) -> dict:
    return {
        "format": 2,
        "key": result.key,
        "index": result.index,
        "documents": result.documents,
        "paragraphs": result.paragraphs,
        "findings": [f.to_dict() for f in result.findings],
        "ids": result.ids.to_pydict(),
        "seeds": result.seeds.to_pydict(),
        "contents": contents,
        "stats": stats,  # `unchanged`: files whose stat says they still hold these contents
        "files": files,  # size of each spill file
    }


def _result_from(body: dict, key: str) -> ChunkResult:
    """A marker's body checked field by field (any mismatch raises: the chunk is done again)."""
    if body["format"] != 2 or body["key"] != key:
        raise ValueError("not this chunk's marker")
    counts = [body["index"], body["documents"], body["paragraphs"]]
    if not all(type(c) is int and c >= 0 for c in counts):
        raise ValueError("bad counts")
    findings = []
    for f in body["findings"]:
        fields = (f["path"], f["pointer"], f["message"], f["code"])
        if not all(isinstance(v, str) for v in fields) or f["severity"] not in ("error", "warning"):
            raise ValueError("bad finding")
        if f["line"] is not None and type(f["line"]) is not int:
            raise ValueError("bad finding line")
        findings.append(Finding(f["path"], f["line"], f["pointer"], f["message"], f["severity"], f["code"]))
    if not isinstance(body["contents"], dict):
        raise ValueError("bad contents")
    ids, seeds = _table(body["ids"], ID_SCHEMA, "line"), _table(body["seeds"], SEED_FACTS)
    return ChunkResult(counts[0], key, findings, ids, seeds, counts[1], counts[2])


def _table(columns: object, schema: pa.Schema, nullable: str = "") -> pa.Table:
    """`columns` (lists by name) as a table of `schema`: no null but in `nullable`, no bool."""
    names = schema.names
    if not isinstance(columns, dict) or not all(isinstance(columns.get(n), list) for n in names):
        raise ValueError("bad table")
    # Arrow refuses a bool or a value of another kind for a typed column (no Python loop over values).
    arrays = [pa.array(columns[n], schema.field(n).type) for n in names]
    if any(array.null_count for n, array in zip(names, arrays, strict=True) if n != nullable):
        raise ValueError("bad value")
    return pa.Table.from_arrays(arrays, schema=schema)


def process_chunk(
    index: int, key: str, seeds: Sequence[SeedFile], config: Config, work: Path, forget: bool = False
) -> ChunkResult:
    """Read and validate `seeds`; spill the valid documents and their paragraphs with features;
    write the completion marker last. `forget`: let the page cache go of each seed once read."""
    seeds = list(seeds)  # objects again, once, for this chunk alone
    started = time.time_ns()
    schema = load_schema(config.schema_path)
    result = ChunkResult(index, key)
    docs: list[Document] = []
    read: list[Document] = []
    facts: list[dict] = []
    for file in read_valid(seeds, config, schema, forget=forget):
        result.findings.extend(file.findings)
        read.extend(file.good + file.bad)
        docs.extend(file.good)
        seed = file.seed
        if seed.kind is not None:
            facts.append(file_facts(seed.rel, file.raw) if file.raw is not None else path_facts(seed.rel, seed.path))
    result.ids = id_table(read)
    result.seeds = pa.Table.from_pylist(facts, schema=SEED_FACTS)
    sha = {f["path"]: f["sha256"] for f in facts}
    columns = {
        "id": [d.id for d in docs],
        **{name: [d.metadata.get(name) for d in docs] for name in METADATA_NAMES},
        "seed_path": [d.seed_path for d in docs],
        "seed_sha256": [sha.get(d.seed_path, "") for d in docs],
    }
    counts = [len(d.paragraphs) for d in docs]
    paragraphs = [p for d in docs for p in d.paragraphs]
    texts = pa.array(paragraphs, pa.large_string())
    words = paragraph_words(texts, config.dedup, paragraphs)  # for dedup's features and the signals' 5-grams
    measured, filtered = document_signals(docs, texts, counts, config, words)
    columns.update(measured, filtered=pa.array(filtered, pa.string()))
    doc_table = pa.table(columns, schema=DOCUMENT_SPILL)
    features = paragraph_features(paragraphs, texts, config.dedup, words)
    columns = {
        "doc": pa.array([i for i, c in enumerate(counts) for _ in range(c)], pa.int32()),
        "pidx": pa.array([j for c in counts for j in range(c)], pa.int32()),
        "text_bytes": pc.binary_length(texts).cast(pa.int32()),
        **exclude_filtered(features, docs, counts, filtered),
    }
    para_table = pa.table(columns, schema=paragraph_spill_schema(config))
    paths = spill_paths(work, key)
    _write_ipc(doc_table, paths[0], COMPRESSED)
    _write_ipc(para_table, paths[1])
    _write_ipc(pa.table([texts], schema=TEXT_SPILL), paths[2], COMPRESSED, TEXT_BATCH_ROWS)
    result.documents, result.paragraphs = len(docs), len(texts)
    marker, files = marker_path(work, key), _files(seeds)
    keep_seeds(work, key, seeds)
    body = _marker_body(result, _contents(files, sha), stats(files, started), {p.name: p.stat().st_size for p in paths})
    marker.with_suffix(".tmp").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    marker.with_suffix(".tmp").replace(marker)
    return result


def _write_ipc(
    table: pa.Table, path: Path, options: pa.ipc.IpcWriteOptions | None = None, batch_rows: int = 64 * 1024
) -> None:
    tmp = path.with_suffix(".tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table.combine_chunks(), max_chunksize=batch_rows)
    tmp.replace(path)

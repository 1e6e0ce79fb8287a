from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpuspack.pipeline.chunk import COMPRESSED, TEXT_BATCH_ROWS, TEXT_SPILL, _write_ipc
from corpuspack.pipeline.spill import ParagraphFiles, _few_batches

SCHEMA = pa.schema(
    [
        ("key", pa.uint64()),
        ("nwords", pa.int32()),
        ("score", pa.float64()),
        ("text", pa.large_string()),
        ("shingles", pa.large_list(pa.uint32())),
    ]
)


def write(path, tables, chunk_rows):
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
        for table in tables:
            writer.write_table(table, max_chunksize=chunk_rows)


def test_numeric_columns_read_by_place_equal_the_mapped_files(tmp_path):
    rng = np.random.default_rng(5)
    files, expected = [], {"key": [], "nwords": [], "score": []}
    lengths = {"text": [], "shingles": []}
    for i, rows in enumerate([1000, 0, 7, 2500]):
        table = pa.table(
            {
                "key": rng.integers(0, 2**63, rows, dtype=np.uint64),
                "nwords": rng.integers(-5, 500, rows, dtype=np.int32),
                "score": pa.array(rng.random(rows), mask=np.arange(rows) == 3),  # a null: not by place
                "text": [f"t{j}" * (j % 5) for j in range(rows)],
                "shingles": [list(range(j % 7)) for j in range(rows)],
            },
            schema=SCHEMA,
        )
        files.append(tmp_path / f"paragraphs-{i}.arrow")
        write(files[-1], [table, SCHEMA.empty_table()], chunk_rows=333)  # several batches, one empty
        for name in expected:
            expected[name].append(table.column(name).to_numpy(zero_copy_only=False))
        lengths["text"].append([len(t.encode()) for t in table.column("text").to_pylist()])
        lengths["shingles"].append([len(s) for s in table.column("shingles").to_pylist()])
    spill = ParagraphFiles(files, np.zeros(0))
    assert set(spill._places) == {"key", "nwords", "text.offsets", "shingles.offsets"}
    for name, parts in expected.items():
        got = spill.column(name)
        want = np.concatenate(parts)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    for name, parts in lengths.items():
        got = spill.lengths(name)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, np.concatenate(parts))


def test_take_gives_the_rows_asked_for_in_their_order(tmp_path):
    files, texts, shingles = [], [], []
    for i, rows in enumerate([1000, 0, 7, 2500]):
        text = [f"c{i}r{j}" * (j % 4) for j in range(rows)]
        lists = [list(range(j % 5)) for j in range(rows)]
        table = pa.table(
            {"key": np.zeros(rows, np.uint64), "nwords": np.zeros(rows, np.int32), "score": np.zeros(rows)}
            | {"text": text, "shingles": lists},
            schema=SCHEMA,
        )
        files.append(tmp_path / f"paragraphs-{i}.arrow")
        write(files[-1], [table], chunk_rows=333)  # runs of rows cross record batches
        texts += text
        shingles += lists
    starts = np.concatenate([[0], np.cumsum([1000, 0, 7, 2500])[:-1]])
    spill = ParagraphFiles(files, starts)
    rng = np.random.default_rng(7)
    n = len(texts)
    cases = {
        "all in order": np.arange(n),
        "a run inside a chunk": np.arange(300, 700),
        "a run across chunks": np.arange(990, 1300),
        "backwards": np.arange(n)[::-1],
        "scattered": rng.permutation(n)[:900],
        "in chunk order, gaps": np.sort(rng.choice(n, 600, replace=False)),
        "repeats": np.array([5, 5, 1004, 5, 3000, 3000]),
        "one row": np.array([1006]),
        "none": np.zeros(0, dtype=np.int64),
    }
    for case, rows in cases.items():
        assert spill.take("text", rows).to_pylist() == [texts[r] for r in rows], case
        assert spill.take("shingles", rows).to_pylist() == [shingles[r] for r in rows], case


def test_texts_of_a_few_rows_decompress_only_their_batches_and_equal_a_whole_read(tmp_path):
    # Text files as a chunk writes them (zstd, batches of TEXT_BATCH_ROWS), and one cut otherwise
    # (333 rows a batch), which must be read whole rather than misread.
    sizes = [5 * TEXT_BATCH_ROWS + 17, 3, 4 * TEXT_BATCH_ROWS]
    files, text_files, texts = [], [], []
    for i, rows in enumerate(sizes):
        text = [f"c{i} r{j} " + "é" * (j % 3) for j in range(rows)]
        table = pa.table(
            {"key": np.zeros(rows, np.uint64), "nwords": np.zeros(rows, np.int32), "score": np.zeros(rows)}
            | {"text": [""] * rows, "shingles": [[]] * rows},
            schema=SCHEMA,
        )
        files.append(tmp_path / f"paragraphs-{i}.arrow")
        write(files[-1], [table], chunk_rows=rows or 1)
        text_files.append(tmp_path / f"texts-{i}.arrow")
        batch_rows = 333 if i == 2 else TEXT_BATCH_ROWS
        _write_ipc(
            pa.table([pa.array(text, pa.large_string())], schema=TEXT_SPILL), text_files[-1], COMPRESSED, batch_rows
        )
        texts += text
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    spill = ParagraphFiles(files, starts, text_files)
    rng = np.random.default_rng(3)
    n = len(texts)
    for rows in [
        np.array([7, 3 * TEXT_BATCH_ROWS + 1, 7, sizes[0] - 1, sizes[0] + 1, n - 1, sizes[0] + 3 + 400]),
        rng.choice(n, 40),
        np.arange(n),
        np.arange(TEXT_BATCH_ROWS - 2, TEXT_BATCH_ROWS + 2),
    ]:
        assert spill.take("text", rows).to_pylist() == [texts[r] for r in rows]
    sparse = np.array([1, 2 * TEXT_BATCH_ROWS + 5])
    assert _few_batches(text_files[0], sparse, sizes[0]).to_pylist() == [texts[1], texts[2 * TEXT_BATCH_ROWS + 5]]
    assert _few_batches(text_files[0], np.arange(sizes[0]), sizes[0]) is None  # most batches: read whole
    assert _few_batches(text_files[2], np.array([0, 3 * TEXT_BATCH_ROWS]), sizes[2]) is None  # cut otherwise


def test_texts_cut_in_other_batches_are_never_misread(tmp_path):
    # Two chunks of 3,000 rows whose text files were cut 2,000 and 1,500 rows a batch (a work folder
    # written otherwise): the row asked for, never a row of the same place in another batch.
    rows_each, files, text_files, texts = 3000, [], [], []
    for i, batch_rows in enumerate([2000, 1500]):
        text = [f"c{i} r{j}" for j in range(rows_each)]
        table = pa.table(
            {"key": np.zeros(rows_each, np.uint64), "nwords": np.zeros(rows_each, np.int32)}
            | {"score": np.zeros(rows_each), "text": [""] * rows_each, "shingles": [[]] * rows_each},
            schema=SCHEMA,
        )
        files.append(tmp_path / f"paragraphs-{i}.arrow")
        write(files[-1], [table], chunk_rows=rows_each)
        text_files.append(tmp_path / f"texts-{i}.arrow")
        _write_ipc(
            pa.table([pa.array(text, pa.large_string())], schema=TEXT_SPILL), text_files[-1], COMPRESSED, batch_rows
        )
        texts += text
    spill = ParagraphFiles(files, np.array([0, rows_each]), text_files)
    for rows in [np.array([1100]), np.array([rows_each + 1100]), np.array([2999, rows_each + 1600])]:
        assert spill.take("text", rows).to_pylist() == [texts[r] for r in rows]

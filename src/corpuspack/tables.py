"""The contract: a document's fields and the published tables' Arrow schemas, defined once; the spill,
the writers, the diff, the card and Croissant derive from them."""

from __future__ import annotations

import json

import pyarrow as pa


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


# A document's metadata: what the schema's properties give and both the spill and the documents
# table hold (the spill keeps `date` as the seed's text). Defined once; every other list derives.
METADATA = [
    _field("title", pa.string(), "Title."),
    _field("source", pa.string(), "Publisher or outlet."),
    _field("url", pa.string(), "Address of the original, when known."),
    _field("date", pa.date32(), "Publication or update date."),
    _field("language", pa.string(), "BCP 47 language tag."),
    _field("license", pa.string(), "SPDX license id, or 'other' / 'unknown'."),
    _field("authors", pa.list_(pa.string()), "Authors, when known."),
    _field("tags", pa.list_(pa.string()), "Tags, when known."),
]
METADATA_NAMES = tuple(f.name for f in METADATA)
ID = _field("id", pa.string(), "Document id (the seed file's stem or the record's id); rows are sorted by it.", False)
SEED = [
    _field("seed_path", pa.string(), "Path of the seed file, relative to the project.", False),
    _field("seed_sha256", pa.string(), "SHA-256 of the seed file's bytes.", False),
]
# Made by the build from the kept paragraphs.
DERIVED = [
    _field("text", pa.string(), "Kept paragraphs, normalised, joined by one blank line."),
    _field("n_paragraphs", pa.int32(), "Number of kept paragraphs.", False),
    _field("n_dropped", pa.int32(), "Number of paragraphs dropped by deduplication.", False),
    _field("text_sha256", pa.string(), "SHA-256 of `text` in UTF-8.", False),
]
_LISTS = [f for f in METADATA if pa.types.is_list(f.type)]
DOCUMENTS = pa.schema([ID, *(f for f in METADATA if f not in _LISTS), *DERIVED, *SEED, *_LISTS])

# Quality signals of a document (output format 3, `signals/`): all but `dropped_share` measured on
# the document as read, before dedup, by the worker that reads it; `dropped_share` from the ledger.
_LID = "Language detected in the text's first 200 characters by fastText lid.176 (ISO 639-1, else 639-3)."
SIGNALS = [
    _field("language_detected", pa.string(), _LID),
    _field("language_confidence", pa.float64(), "lid.176's probability of `language_detected` (0-1)."),
    _field("n_words", pa.int32(), "Whitespace-separated words of the document as read (before dedup)."),
    _field("n_chars", pa.int32(), "Characters of the document as read: paragraphs joined by one blank line."),
    _field("mean_word_length", pa.float64(), "Mean characters per word."),
    _field("alpha_share", pa.float64(), "Share of the non-space characters that are letters (Unicode L)."),
    _field("punct_line_share", pa.float64(), "Share of paragraphs (lines) ending in sentence punctuation."),
    _field(
        "dup_line_share",
        pa.float64(),
        "Share of paragraphs whose exact text occurs more than once in the document (Gopher).",
    ),
    _field(
        "dup_5gram_share",
        pa.float64(),
        "Share of the word 5-grams (case and punctuation folded) occurring more than once in the document (Gopher).",
    ),
    _field("redaction_marks", pa.int32(), "Occurrences of `**`, the seed's mark where text was removed."),
    _field("dropped_share", pa.float64(), "Share of the document's paragraphs dropped by deduplication or a filter."),
]
MEASURED = [f for f in SIGNALS if f.name != "dropped_share"]  # what a worker spills
DOCUMENTS_WITH_SIGNALS = pa.schema([*DOCUMENTS, *SIGNALS])

# What a worker spills of each document: metadata as read (the date still text), no derived column;
# then the signals (null when the output format has none) and the filter that removed it, if any.
DOCUMENT_SPILL = pa.schema(
    [
        *(pa.field(f.name, pa.string() if f.name == "date" else f.type) for f in [ID, *METADATA, *SEED]),
        *(pa.field(f.name, f.type) for f in MEASURED),
        pa.field("filtered", pa.string()),
    ]
)

PARAGRAPHS = pa.schema(
    [
        _field("doc_id", pa.string(), "Id of the document the paragraph belongs to.", False),
        _field("paragraph_index", pa.int32(), "0-based index among the document's body paragraphs.", False),
        _field("text", pa.string(), "Paragraph text, normalised (NFC, whitespace collapsed).", False),
        _field("kept", pa.bool_(), "Whether the paragraph is in the document's published text.", False),
        _field(
            "reason",
            pa.string(),
            "Why it was dropped: exact, exact_within_document, near_duplicate, boilerplate or duplicate_document.",
        ),
        _field("duplicate_of_doc", pa.string(), "Document id of the paragraph this one duplicates."),
        _field("duplicate_of_index", pa.int32(), "Paragraph index of the paragraph this one duplicates."),
        _field("similarity", pa.float64(), "Word 5-gram Jaccard similarity to that paragraph (near duplicates)."),
        _field("cluster_id", pa.int64(), "Duplicate group: the key of the group's kept representative."),
    ]
)

TABLES = {"documents": DOCUMENTS, "paragraphs": PARAGRAPHS}

# From output format 4 (`formats`): every kept paragraph is in a group, alone or not.
PARAGRAPHS_EVERY_CLUSTER = PARAGRAPHS.set(
    PARAGRAPHS.get_field_index("cluster_id"),
    _field(
        "cluster_id",
        pa.int64(),
        "Duplicate group: the key of the group's kept representative; every kept paragraph has one "
        "(one without copies represents its own group).",
    ),
)


def description(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"description", b"").decode()


def with_pandas_metadata(schema: pa.Schema) -> pa.Schema:
    """`schema` with the `pandas` metadata that makes pyarrow (so `pandas.read_parquet`) give pandas'
    nullable integer dtype to each nullable integer column: without it a column with nulls becomes
    float64, whose 53-bit mantissa rounds a 64-bit `cluster_id`. Only those columns are described,
    and no library version is written, so the bytes depend on the schema alone."""
    columns = [
        {
            "field_name": f.name,
            "metadata": None,
            "name": f.name,
            "numpy_type": _nullable_dtype(f.type),
            "pandas_type": str(f.type),
        }
        for f in schema
        if f.nullable and pa.types.is_integer(f.type)
    ]
    meta = {"column_indexes": [], "columns": columns, "index_columns": []}
    return schema.with_metadata({**(schema.metadata or {}), b"pandas": json.dumps(meta, sort_keys=True).encode()})


def _nullable_dtype(type_: pa.DataType) -> str:
    """pandas' nullable dtype for an Arrow integer type: int32 -> Int32, uint8 -> UInt8."""
    name = str(type_)
    return "UInt" + name[4:] if name.startswith("uint") else "Int" + name[3:]

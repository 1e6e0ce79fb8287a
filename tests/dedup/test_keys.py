from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pytest

from corpuspack.dedup import near
from corpuspack.dedup.grouping import distinct_count, first_of_groups, key_order, merge_distinct
from corpuspack.dedup.keys import exact_keys, key_text, key_texts, unicode_key_text, word_hashes
from corpuspack.dedup.minhash import MinHasher, choose_bands, shingles


def words(text: str) -> list[str]:
    return key_text(text).decode().split()


@pytest.mark.parametrize(
    "text",
    ["Co-opting, 2023!", "It's   THE end...", "tabs\tand\nnewlines", "a_b c~d [x] {y} 42nd", "#$%^&*()"],
)
def test_ascii_fast_path_matches_unicode_path(text):
    assert key_text(text).split() == unicode_key_text(text).split()


def test_key_folds_case_punctuation_digits_and_accents():
    assert (
        key_text("Co-opting, 2023!", 1).split() == key_text("co opting 1999", 1).split() == [b"co", b"opting", b"0000"]
    )
    assert (
        words("Co-opting, 2023!") == ["co", "opting", "2023"] != words("co opting 1999")
    )  # rules 2: numbers are facts
    assert words("Crème Brûlée") == ["creme", "brulee"]
    assert words("ＦＵＬＬ width") == ["full", "width"]
    assert words("Ελληνικά κείμενο") == ["ελληνικα", "κειμενο"]


def test_exact_keys_equal_for_equal_key_text_and_order_sensitive():
    texts = ["The cat sat.", "the CAT, sat", "sat cat the", "", "..."]
    hashes, offsets = word_hashes(key_texts(texts))
    keys = exact_keys(hashes, offsets)
    assert keys[0] == keys[1]
    assert keys[0] != keys[2]
    assert keys[3] == keys[4]  # no words at all
    assert list(np.diff(offsets)) == [3, 3, 3, 0, 0]


def test_shingles_stay_inside_paragraphs():
    hashes, offsets = word_hashes(key_texts(["a b c d e f", "g h i", "j k l m n"]))
    sh, eligible = shingles(hashes, offsets, size=5, min_words=5)
    assert list(eligible) == [0, 2]
    assert len(sh) == 2 + 1


def test_minhash_estimates_jaccard_and_permutations_differ():
    rng = np.random.default_rng(0)
    base = ["".join(rng.choice(list("abcdefghij"), 8)) for _ in range(200)]
    other = base[:180] + ["".join(rng.choice(list("klmnop"), 8)) for _ in range(20)]
    hashes, offsets = word_hashes(key_texts([" ".join(base), " ".join(other)]))
    sh, eligible = shingles(hashes, offsets, 5, 5)
    counts = np.diff(offsets)[eligible] - 4
    hasher = MinHasher(256, 32, 8)
    sig = hasher.signatures(sh, counts)
    estimate = float(np.mean(sig[0] == sig[1]))
    true = 176 / (196 + 20)  # shared 5-grams over the union
    assert abs(estimate - true) < 0.1
    assert len(set(sig[0].tolist())) > 200  # not one minimum repeated by every permutation


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 16])
def test_signatures_in_cache_blocks_are_each_paragraphs_minimum(block):
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 40, size=200)
    counts[17] = 300  # one paragraph longer than several blocks
    sh = rng.integers(0, 2**64 - 1, size=int(counts.sum()), dtype=np.uint64)
    hasher = MinHasher(12, 4, 3, seed=5)
    sig = hasher.signatures(sh, counts, block=block)
    x = (sh >> np.uint64(32)).astype(np.uint32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    with np.errstate(over="ignore"):
        for p in (0, 17, 199):
            for perm in (0, 11):
                part = x[starts[p] : starts[p] + counts[p]]
                assert sig[p, perm] == (part * hasher._a[perm] + hasher._b[perm]).min()
    assert (sig == hasher.signatures(sh, counts, block=1 << 20)).all()


def test_band_choice_finds_pairs_at_the_threshold():
    bands, rows = choose_bands(128, 0.8)
    assert bands * rows <= 128
    assert 1 - (1 - 0.8**rows) ** bands >= 0.999
    assert choose_bands(56, 0.8) == (14, 4)


def test_key_texts_is_an_arrow_string_array():
    assert key_texts(["A b"]).type == pa.large_string()


@pytest.mark.parametrize("ascii_only", [True, False])
def test_key_texts_of_an_array_equal_key_text_of_each(ascii_only):
    texts = ["  Hello, World 2024!  ", "", "   ", "a\tb\nc", "x", "Ça va? Été 1999", "ＦＵＬＬ width", "end."]
    texts = [t for t in texts if t.isascii()] if ascii_only else texts
    array = pa.array(["drop me", *texts], pa.string()).slice(1)  # a slice: offsets not starting at 0
    assert key_texts(array).to_pylist() == [key_text(t).decode() for t in texts]
    assert key_texts(texts).to_pylist() == [key_text(t).decode() for t in texts]


@pytest.mark.parametrize("fetch", [None, 1, 50])
def test_jaccard_in_fetched_batches_equals_set_jaccard(fetch):
    rng = np.random.default_rng(3)
    sets = [np.unique(rng.integers(0, 40, int(rng.integers(0, 30)))).astype(np.uint32) for _ in range(60)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
    fetched = []

    def sets_for(positions):
        fetched.append(len(positions))
        chosen = [sets[p] for p in positions]
        return np.concatenate(chosen), np.concatenate([[0], np.cumsum([len(s) for s in chosen])])

    pairs = np.unique(np.sort(rng.integers(0, 60, (300, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    sizes_of = None if fetch is None else (lambda p: np.diff(offsets)[p])
    got = near.jaccard(pairs, sets_for, sizes_of, fetch=fetch or 1 << 25, batch=7)
    for (a, b), value in zip(pairs.tolist(), got, strict=True):
        x, y = set(sets[a].tolist()), set(sets[b].tolist())
        assert value == pytest.approx(len(x & y) / len(x | y) if x | y else 0.0)
    assert len(fetched) == 1 if fetch is None else len(fetched) > 3


def test_candidate_pairs_of_bands_taken_apart_union_to_those_of_all_bands():
    rng = np.random.default_rng(5)
    positions = np.sort(rng.choice(5000, 800, replace=False))
    bands = [rng.integers(0, 60, len(positions)).astype(np.uint64) for _ in range(6)]
    whole = near.candidate_pairs(iter(bands), positions, max_pairs=4)
    parts = [near.candidate_codes(iter(bands[lo:hi]), positions, max_pairs=4) for lo, hi in [(0, 2), (2, 5), (5, 6)]]
    assert len(whole) > 300 and (whole[:, 0] < whole[:, 1]).all()
    assert np.array_equal(near.pairs_of(functools.reduce(merge_distinct, parts), positions), whole)
    assert {tuple(p) for p in whole} == {tuple(p) for part in parts for p in near.pairs_of(part, positions)}


@pytest.mark.parametrize("seed", range(4))
def test_candidate_pairs_are_those_of_the_sorted_band_member_by_member(seed):
    """Against pairs made in Python over each band's members sorted by their keys' top bits, then
    position, each compared with the `d`-th before it on the whole key for d = 1, 2, ... while some
    pair is found: mostly lone keys, a bucket larger than `max_pairs`, and different keys sharing
    their top bits (they interleave)."""
    rng = np.random.default_rng(seed)
    positions = np.sort(rng.choice(20_000, 3000, replace=False))
    low = (1 << (len(positions) - 1).bit_length()) - 1
    bands = []
    for _ in range(3):
        keys = rng.integers(0, 2**64, len(positions), dtype=np.uint64)  # lone keys
        some = rng.random(len(positions))
        keys[some < 0.2] = rng.integers(0, 40, int((some < 0.2).sum()), dtype=np.uint64) | np.uint64(0xABC << 40)
        keys[some > 0.97] = np.uint64(7 << 40)  # one bucket of about 90
        bands.append(keys)
    max_pairs = 5
    want = set()
    for keys in bands:
        ordered = sorted(range(len(keys)), key=lambda i: (int(keys[i]) & ~low, i))
        k, p = [int(keys[i]) for i in ordered], [int(positions[i]) for i in ordered]
        for d in range(1, max_pairs + 1):
            found = {(p[i - d], p[i]) for i in range(d, len(k)) if k[i] == k[i - d]}
            if not found:
                break
            want |= found
    got = near.candidate_pairs(iter(bands), positions, max_pairs)
    assert len(want) > 1000
    assert [tuple(p) for p in got.tolist()] == sorted(want)


@pytest.mark.parametrize("seed", range(6))
def test_key_order_is_a_stable_argsort_even_when_top_bits_clash(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    keys = rng.integers(0, 2**64, n, dtype=np.uint64)
    # Keys equal but for their low bits (the bits the index takes): blocks of clashing keys.
    keys[rng.integers(0, n, n // 3)] = rng.integers(0, 8, n // 3, dtype=np.uint64) | np.uint64(0xABCD << 40)
    keys[rng.integers(0, n, n // 4)] = keys[rng.integers(0, n, n // 4)]  # and plain repeats
    stable = np.argsort(keys, kind="stable").tolist()
    assert key_order(keys).tolist() == stable
    assert key_order(keys, block=int(rng.integers(1, 50))).tolist() == stable  # blocks' edges inside runs
    positions = np.arange(n, dtype=np.int64) * 3
    first = first_of_groups(keys, positions)
    assert all(first[i] == positions[np.flatnonzero(keys == keys[i])[0]] for i in range(0, n, max(n // 50, 1)))


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("wide", [False, True])  # members past 32 bits: not packed with their key's group
def test_distinct_count_counts_distinct_members_per_key(ascending, wide):
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 40, 3000).astype(np.uint64) | np.uint64(1 << 50)  # equal top bits: all clash
    members = rng.integers(0, 300, 3000) << (33 if wide else 0)
    members = np.sort(members) if ascending else members
    want = [len(set(members[keys == k].tolist())) for k in keys.tolist()]
    assert distinct_count(keys, members).tolist() == want

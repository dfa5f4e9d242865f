"""RFC 9162 maths against an independent reference implementation, for every size."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from app.ledger import merkle


# An independent, recursive reference: RFC 9162 §2.1.1–2.1.4, straight from the text.
def ref_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n <= 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def stored(leaves: list[bytes]) -> merkle.HashOf:
    """Complete-subtree hashes, as the ledger stores them on append."""
    nodes: dict[merkle.Node, bytes] = {}
    for i, entry in enumerate(leaves):
        nodes[(0, i)] = merkle.leaf_hash(entry)
        for level, index in merkle.completed_by(i):
            nodes[(level, index)] = merkle.node_hash(
                nodes[(level - 1, 2 * index)], nodes[(level - 1, 2 * index + 1)]
            )
    return nodes.__getitem__


@settings(max_examples=300)
@given(st.integers(1, 3000), st.data())
def test_roots_and_inclusion_proofs_match_the_reference(size: int, data: st.DataObject) -> None:
    leaves = entries(size)
    hash_of = stored(leaves)
    root = merkle.root(size, hash_of)
    assert root == ref_mth(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(index, size, hash_of)
    assert proof == ref_path(index, leaves)
    leaf = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(index, size, leaf, proof, root)
    assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), proof, root)
    assert not merkle.verify_inclusion(index, size, leaf, proof, hashlib.sha256(b"x").digest())
    if proof:
        bent = [bytes(32), *proof[1:]]
        assert not merkle.verify_inclusion(index, size, leaf, bent, root)


@settings(max_examples=300)
@given(st.integers(1, 3000), st.data())
def test_consistency_proofs_match_the_reference(second: int, data: st.DataObject) -> None:
    leaves = entries(second)
    hash_of = stored(leaves)
    first = data.draw(st.integers(1, second))
    proof = merkle.consistency_proof(first, second, hash_of)
    assert proof == (ref_subproof(first, leaves, True) if first < second else [])
    first_root, second_root = ref_mth(leaves[:first]), ref_mth(leaves)
    assert merkle.verify_consistency(first, second, first_root, second_root, proof)
    assert not merkle.verify_consistency(
        first, second, hashlib.sha256(b"x").digest(), second_root, proof
    )
    if first < second:
        assert not merkle.verify_consistency(first, second, first_root, bytes(32), proof)


def test_proofs_read_logarithmically_many_subtrees() -> None:
    size = 1_000_000
    nodes = merkle.subtrees_for(merkle.inclusion_ranges(123_456, size))
    assert len(nodes) <= 2 * 20
    nodes = merkle.subtrees_for(merkle.consistency_ranges(654_321, size))
    assert len(nodes) <= 2 * 20


def test_completed_by() -> None:
    assert merkle.completed_by(0) == []
    assert merkle.completed_by(1) == [(1, 0)]
    assert merkle.completed_by(3) == [(1, 1), (2, 0)]
    assert merkle.completed_by(6) == []
    assert merkle.completed_by(7) == [(1, 3), (2, 1), (3, 0)]

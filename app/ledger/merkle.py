"""Merkle tree maths of RFC 9162 §2.1 (Certificate Transparency 2.0). Pure.

    leaf hash  = SHA-256(0x00 ‖ entry)
    node hash  = SHA-256(0x01 ‖ left ‖ right)
    MTH(D[n])  = the hash of the tree whose left subtree holds the largest power of two
                 of leaves strictly below n, and whose right subtree holds the rest.

Proofs are computed from *complete subtrees*: the subtree at (level L, index i) covers
leaves [i·2^L, (i+1)·2^L). Every subtree a proof needs is either such a complete subtree
or the right edge of the tree, itself made of at most log n complete subtrees; so a
proof reads O(log n) stored hashes. `subtrees_for` lists which, and the `hash_of` callback
supplies them (from the database, or from a list of leaves in tests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

Node = tuple[int, int]  # (level, index) of a complete subtree
HashOf = Callable[[Node], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def completed_by(index: int) -> list[Node]:
    """The complete subtrees above leaf `index` that its arrival completes, bottom up
    (not the leaf itself): store these with the leaf so proofs never recompute them."""
    nodes = []
    level = 0
    while (index + 1) % (1 << (level + 1)) == 0:
        level += 1
        nodes.append((level, index >> level))
    return nodes


def _range_nodes(start: int, end: int, out: list[Node]) -> None:
    """The complete subtrees whose hashes make MTH(D[start:end]) in RFC 9162's shape."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        out.append((size.bit_length() - 1, start // size))
        return
    k = _split(size)
    _range_nodes(start, start + k, out)
    _range_nodes(start + k, end, out)


def range_hash(start: int, end: int, hash_of: HashOf) -> bytes:
    """MTH(D[start:end]) for a range that RFC 9162's recursion produces."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return hash_of((size.bit_length() - 1, start // size))
    k = _split(size)
    return node_hash(range_hash(start, start + k, hash_of), range_hash(start + k, end, hash_of))


def root(size: int, hash_of: HashOf) -> bytes:
    return range_hash(0, size, hash_of)


def _inclusion_ranges(index: int, start: int, end: int, out: list[tuple[int, int]]) -> None:
    """RFC 9162 §2.1.3.1 PATH(m, D[start:end]): the sibling ranges, leaf first."""
    size = end - start
    if size <= 1:
        return
    k = _split(size)
    if index - start < k:
        _inclusion_ranges(index, start, start + k, out)
        out.append((start + k, end))
    else:
        _inclusion_ranges(index, start + k, end, out)
        out.append((start, start + k))


def _consistency_ranges(
    m: int, start: int, end: int, whole: bool, out: list[tuple[int, int]]
) -> None:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b)."""
    size = end - start
    if m == size:
        if not whole:
            out.append((start, end))
        return
    k = _split(size)
    if m <= k:
        _consistency_ranges(m, start, start + k, whole, out)
        out.append((start + k, end))
    else:
        _consistency_ranges(m - k, start + k, end, False, out)
        out.append((start, start + k))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    if not 0 <= index < size:
        raise ValueError("index must be below the tree size")
    out: list[tuple[int, int]] = []
    _inclusion_ranges(index, 0, size, out)
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    if not 0 < first <= second:
        raise ValueError("need 0 < first <= second")
    out: list[tuple[int, int]] = []
    if first < second:
        _consistency_ranges(first, 0, second, True, out)
    return out


def subtrees_for(ranges: Sequence[tuple[int, int]]) -> list[Node]:
    """Every stored complete subtree the hashes of these ranges need (one read for all)."""
    out: list[Node] = []
    for start, end in ranges:
        _range_nodes(start, end, out)
    return list(dict.fromkeys(out))


def inclusion_proof(index: int, size: int, hash_of: HashOf) -> list[bytes]:
    return [range_hash(s, e, hash_of) for s, e in inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, hash_of: HashOf) -> list[bytes]:
    return [range_hash(s, e, hash_of) for s, e in consistency_ranges(first, second)]


# Verification, as a client does it (RFC 9162 §2.1.3.2 and §2.1.4.2).


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root starts the path
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0

"""C2SP tlog-tiles (height 8): a log's Merkle tree as static, cacheable tiles. Pure.

Tile `N` of level `L` holds, for i < W (W = 256 when full), the hash of the complete subtree
of 256**L leaves starting at leaf (N·256 + i)·256**L: the stored node at Merkle level 8·L,
index N·256 + i. At level 0 those are the leaf hashes; `tile/entries/N` holds the entries
themselves, each a big-endian uint16 length and the bytes.

    tile/<L>/<N>[.p/<W>]      N as 3-digit groups, all but the last prefixed `x`:
    tile/entries/<N>[.p/<W>]  1234067 is x001/x234/067
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEIGHT = 8
WIDTH = 1 << HEIGHT
MAX_LEVEL = 63

_GROUP = re.compile(r"^x[0-9]{3}$")
_LAST = re.compile(r"^[0-9]{3}$")
_WIDTH = re.compile(r"^[1-9][0-9]{0,2}$")
_LEVEL = re.compile(r"^(0|[1-9][0-9]?)$")


@dataclass(frozen=True)
class Tile:
    level: int  # the tile level L (Merkle level 8·L)
    index: int  # N
    width: int  # W: 256 for a full tile

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    @property
    def first(self) -> int:
        """The index, at Merkle level 8·L, of the tile's first hash."""
        return self.index * WIDTH

    def needs(self) -> int:
        """The tree size from which every hash of the tile exists."""
        return (self.first + self.width) << (HEIGHT * self.level)


class BadTilePath(ValueError):
    pass


def parse_level(text: str) -> int:
    if not _LEVEL.match(text) or int(text) > MAX_LEVEL:
        raise BadTilePath("the level is a decimal number from 0 to 63, without leading zeroes")
    return int(text)


def parse(level: int, path: str) -> Tile:
    """The tile at `path` (`N[.p/W]`), checking the encoding is the one the spec gives."""
    width = WIDTH
    if ".p/" in path:
        path, _, given = path.rpartition(".p/")
        if not _WIDTH.match(given) or not 1 <= int(given) < WIDTH:
            raise BadTilePath("a partial tile's width is from 1 to 255, without leading zeroes")
        width = int(given)
    groups = path.split("/")
    if not _LAST.match(groups[-1]) or not all(_GROUP.match(g) for g in groups[:-1]):
        raise BadTilePath("the index is 3-digit groups, all but the last prefixed with x")
    index = int("".join(g.removeprefix("x") for g in groups))
    if encode_index(index) != path:
        raise BadTilePath("the index has leading zero groups")
    return Tile(level, index, width)


def encode_index(index: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def path_of(tile: Tile, entries: bool = False) -> str:
    """`tile/<L>/<N>[.p/<W>]` (or `tile/entries/…`) of a tile."""
    head = "entries" if entries else str(tile.level)
    suffix = "" if tile.full else f".p/{tile.width}"
    return f"tile/{head}/{encode_index(tile.index)}{suffix}"


def bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes."""
    return b"".join(len(e).to_bytes(2, "big") + e for e in entries)

"""A small writer of OLE compound files (MS-CFB version 3), for DOC-shaped test files.

No PyPI package writes .doc files; xlwt writes .xls but only its own `Workbook` stream. This
writes any tree of streams and storages, each stream padded to the 4096-byte mini-stream
cutoff so everything lives in regular sectors (no mini FAT), as olefile and libmagic read it.
"""

from __future__ import annotations

import itertools
import struct
import uuid

FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
CUTOFF = 4096


class _Node:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data
        self.children: dict[str, _Node] = {}
        self.id = 0
        self.start = END
        self.right = NONE


def _order(name: str) -> tuple[int, str]:
    return len(name), name.upper()  # the CFB comparison: length first, then upper case


def compound_file(
    streams: dict[str, bytes], *, root_clsid: str | None = None, big_sectors: bool = False
) -> bytes:
    """Version 3 (512-byte sectors, up to ~7 MB here: no DIFAT sectors) or, with
    `big_sectors`, version 4 (4096-byte sectors, up to ~450 MB)."""
    sector, shift, version = (4096, 12, 4) if big_sectors else (512, 9, 3)
    per_fat = sector // 4
    root = _Node("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *storages, leaf = path.split("/")
        for part in storages:
            node = node.children.setdefault(part, _Node(part, 1))
        node.children[leaf] = _Node(leaf, 2, data.ljust(CUTOFF, b"\x00"))
    nodes: list[_Node] = []

    def number(node: _Node) -> None:
        node.id = len(nodes)
        nodes.append(node)
        for child in sorted(node.children.values(), key=lambda c: _order(c.name)):
            number(child)

    number(root)
    directory_sectors = -(-len(nodes) * 128 // sector)
    data_sectors = sum(-(-len(n.data) // sector) for n in nodes if n.kind == 2)
    fat_sectors = 1
    while fat_sectors * per_fat < fat_sectors + directory_sectors + data_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too large for a header-only DIFAT: use big_sectors=True")
    fat = [FAT_SECTOR] * fat_sectors
    directory_start = len(fat)
    fat += [*range(directory_start + 1, directory_start + directory_sectors), END]
    body = b""
    for node in nodes:
        if node.kind != 2:
            continue
        count = -(-len(node.data) // sector)
        node.start = len(fat)
        fat += [*range(node.start + 1, node.start + count), END]
        body += node.data.ljust(count * sector, b"\x00")
    fat += [FREE] * (fat_sectors * per_fat - len(fat))

    entries = b""
    for node in nodes:
        entries += _entry(node, root_clsid if node.kind == 5 else None)
    entries = entries.ljust(directory_sectors * sector, b"\x00")

    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, version, 0xFFFE, shift, 6)
        + bytes(6)
        + struct.pack(
            "<IIIIIIIII",
            directory_sectors if big_sectors else 0,
            fat_sectors,
            directory_start,
            0,
            CUTOFF,
            END,
            0,
            END,
            0,
        )
        + struct.pack("<109I", *difat)
    ).ljust(sector, b"\x00")
    return header + struct.pack(f"<{len(fat)}I", *fat) + entries + body


def _entry(node: _Node, clsid: str | None) -> bytes:
    name = node.name.encode("utf-16-le") + b"\x00\x00"
    siblings = sorted(node.children.values(), key=lambda c: _order(c.name))
    child = siblings[0].id if siblings else NONE
    # Children hang off the first one as a chain of right siblings (a valid, if unbalanced,
    # binary search tree in CFB order); set each one's right pointer below.
    for left_one, right_one in itertools.pairwise(siblings):
        left_one.right = right_one.id
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBB", len(name), node.kind, 1)
        + struct.pack("<III", NONE, node.right, child)
        + (uuid.UUID(clsid).bytes_le if clsid else bytes(16))
        + bytes(4 + 16)
        + struct.pack("<IQ", node.start if node.kind == 2 else END, len(node.data))
    )

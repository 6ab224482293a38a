"""Peak memory of checking and storing a 20 MB upload (issue 10: growth under 30 MB).

Makes 20 MiB files of several kinds in a temporary directory (a PDF; a DOCX holding a 20 MiB
incompressible picture; an XLSX whose sheet unpacks to ~150 MiB; a DOC as an OLE file; a
JPEG), then, for each, in a child process of its own: imports and warms up everything (one
small upload first), notes the resident set, resets the kernel's peak mark
(/proc/self/clear_refs), runs `portal.uploads.receive_document` exactly as the bot would
(the file read in 64 KiB pieces as from a download, libmagic, the structure checks, the
SHA-256, fsync and rename into FILES_DIR) and reads the peak (VmHWM). The growth is that peak
minus the resident set before, printed in MiB and as a ratio of the 30 MB target.

Usage: .venv/bin/python bench/upload_bench.py [--size-mib 20]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "files"))

TARGET_BYTES = 30 * 1000 * 1000  # "under 30 MB"
MIB = 1024 * 1024


def make_files(directory: Path, size: int) -> dict[str, Path]:
    import file_samples as samples
    from ole_writer import compound_file
    from PIL import Image

    rng = random.Random(10)
    files = {}
    files["pdf"] = directory / "big.pdf"
    files["pdf"].write_bytes(samples.pdf(size=size))

    # DOCX with a picture that does not compress: the ZIP is as large as what it holds.
    picture = rng.randbytes(size - 64 * 1024)
    docx = samples.docx(extra_parts=[("word/media/image1.bin", picture)])
    files["docx"] = directory / "big.docx"
    files["docx"].write_bytes(docx)

    # XLSX whose sheet compresses ~8:1, as spreadsheets do: ~150 MiB to read through.
    files["xlsx"] = directory / "big.xlsx"
    with zipfile.ZipFile(files["xlsx"], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        base = samples.xlsx()
        with zipfile.ZipFile(io.BytesIO(base)) as small:
            for name in small.namelist():
                if name != "xl/worksheets/sheet1.xml":
                    archive.writestr(name, small.read(name))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            row = 0
            while files["xlsx"].stat().st_size < size - 256 * 1024:
                chunk = "".join(
                    f'<row r="{row + n}"><c r="A{row + n}"><v>{rng.randint(0, 10**9)}</v></c>'
                    f'<c r="B{row + n}" t="inlineStr"><is><t>Rinda {rng.random():.6f}</t></is>'
                    "</c></row>"
                    for n in range(2000)
                )
                row += 2000
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")

    files["doc"] = directory / "big.doc"
    fib = b"\xec\xa5\xc1\x00" + bytes(1020)
    streams = {"WordDocument": fib + rng.randbytes(size - 128 * 1024), "1Table": bytes(512)}
    files["doc"].write_bytes(compound_file(streams, big_sectors=True))

    # A JPEG of nearly the size: noise compresses badly (~1.1 bytes a pixel at quality 95).
    side = 4200
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    files["jpeg"] = directory / "big.jpg"
    files["jpeg"].write_bytes(out.getvalue())
    return files


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak() -> None:
    """Peak RSS (VmHWM) := the current RSS (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure(path: Path, name: str, files_dir: Path) -> dict[str, object]:
    """In the child: warm up, then one upload with the peak mark reset just before it."""
    import file_samples as samples

    from integrations.files import ContentStore, FileInspector, FileSource
    from portal.documents import DocumentRules
    from portal.model import ReceivedDocument
    from portal.uploads import receive_document

    rules = DocumentRules()
    store = ContentStore(files_dir)
    inspector = FileInspector()

    async def upload(source_path: Path, declared_name: str, declared_size: int) -> object:
        source = FileSource.open(source_path)
        try:
            return await receive_document(
                client_id=1,
                source=source,
                declared_name=declared_name,
                declared_size=declared_size,
                rules=rules,
                store=store,
                inspector=inspector,
            )
        finally:
            source.close()

    warm_dir = files_dir.parent / "warm"
    warm_dir.mkdir(exist_ok=True)
    warm_files = []
    for index, data in enumerate(
        [samples.pdf(), samples.docx(), samples.xls(), samples.picture("JPEG")]
    ):
        (warm_dir / str(index)).write_bytes(data)
        warm_files.append((warm_dir / str(index), len(data)))
    size = path.stat().st_size

    async def main() -> dict[str, object]:
        for warm, warm_size in warm_files:  # libmagic's database, Pillow's plugins, olefile
            await upload(warm, "warm", warm_size)
        before = _status("VmRSS")
        _reset_peak()
        started = time.perf_counter()
        result = await upload(path, path.name, size)
        seconds = time.perf_counter() - started
        peak = _status("VmHWM")
        assert isinstance(result, ReceivedDocument), result
        return {
            "kind": name,
            "bytes": size,
            "seconds": round(seconds, 3),
            "rss_before_mib": round(before / MIB, 1),
            "growth_bytes": peak - before,
        }

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=float, default=20.0)
    parser.add_argument(
        "--child", nargs=3, metavar=("PATH", "KIND", "FILES_DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        path, kind, files_dir = args.child
        print(json.dumps(measure(Path(path), kind, Path(files_dir))))
        return
    size = int(args.size_mib * MIB)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = make_files(directory, size)
        print(f"upload bench: one {args.size_mib:g} MiB file per kind, each in a fresh process")
        header = ("kind", "file MiB", "seconds", "RSS growth MiB", "growth / 30 MB")
        print("{:6} {:>9} {:>8} {:>15} {:>15}".format(*header))
        worst = 0.0
        for kind, path in files.items():
            files_dir = directory / f"store-{kind}"
            files_dir.mkdir()
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(path), kind, str(files_dir / "files")],
                check=False,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            if child.returncode:
                raise SystemExit(f"{kind}: the measurement failed\n{child.stderr}")
            output = child.stdout
            row = json.loads(output.strip().splitlines()[-1])
            ratio = int(row["growth_bytes"]) / TARGET_BYTES
            worst = max(worst, ratio)
            print(
                f"{kind:6} {int(row['bytes']) / MIB:9.2f} {row['seconds']:8.3f} "
                f"{int(row['growth_bytes']) / MIB:15.2f} {ratio:15.2f}"
            )
        verdict = "under" if worst < 1 else "OVER"
        print(f"worst peak RSS growth / 30 MB target: {worst:.2f} ({verdict} the target)")


if __name__ == "__main__":
    main()

"""Makes the mimeo-mock wheel from a built mimeo binary, with the standard
library only: the binary goes in the wheel's scripts (pip puts it on PATH as
`mimeo`, the layout maturin's `bindings = "bin"` makes), beside the Python
package mimeo_mock and its pytest plugin entry point.

    python3 dist/python/build_wheel.py BINARY OUT_DIR [PLATFORM_TAG ...]

Why not maturin: it would compile the crate a second time; this wheel carries
the very binary the other channels ship and CI tests. The distribution is
`mimeo-mock` because `mimeo` on PyPI is an unrelated project.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import zipfile
from pathlib import Path

NAME = "mimeo-mock"
# The static Linux x86_64 binary needs no libc from the system: glibc
# (manylinux) and musl (musllinux) machines alike.
DEFAULT_TAGS = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "musllinux_1_1_x86_64"]
# Fixed timestamps: the same inputs give the same wheel.
EPOCH = (1980, 1, 1, 0, 0, 0)

here = Path(__file__).resolve().parent
root = here.parent.parent


def cargo_field(field: str) -> str:
    text = (root / "Cargo.toml").read_text(encoding="utf-8")
    return re.search(rf'^{field} = "([^"]+)"$', text, re.M).group(1)


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def main(argv: list) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary, out = Path(argv[0]), Path(argv[1])
    platforms = argv[2:] or DEFAULT_TAGS
    version = cargo_field("version")
    dist = NAME.replace("-", "_")
    tag = f"py3-none-{'.'.join(platforms)}"
    exe = "mimeo.exe" if binary.suffix == ".exe" else "mimeo"
    info = f"{dist}-{version}.dist-info"

    files = []  # (path in the wheel, bytes, executable)
    for source in sorted((here / "mimeo_mock").iterdir()):
        if source.suffix in (".py", ".typed"):
            files.append((f"mimeo_mock/{source.name}", source.read_bytes(), False))
    files.append((f"{dist}-{version}.data/scripts/{exe}", binary.read_bytes(), True))
    readme = (here / "README.md").read_text(encoding="utf-8")
    metadata = "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {NAME}",
            f"Version: {version}",
            f"Summary: {cargo_field('description')}",
            f"License: {cargo_field('license')}",
            "Requires-Python: >=3.8",
            "Classifier: Framework :: Pytest",
            "Classifier: Topic :: Software Development :: Testing :: Mocking",
            "Description-Content-Type: text/markdown",
            "",
            readme,
        ]
    )
    files.append((f"{info}/METADATA", metadata.encode(), False))
    wheel = ["Wheel-Version: 1.0", "Generator: mimeo dist/python/build_wheel.py", "Root-Is-Purelib: false"]
    wheel += [f"Tag: py3-none-{p}" for p in platforms]
    files.append((f"{info}/WHEEL", ("\n".join(wheel) + "\n").encode(), False))
    entry_points = "[pytest11]\nmimeo = mimeo_mock.pytest_plugin\n"
    files.append((f"{info}/entry_points.txt", entry_points.encode(), False))
    record = [record_line(path, data) for path, data, _ in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode(), False))

    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data, executable in files:
            entry = zipfile.ZipInfo(path, date_time=EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            # Unix mode in the high bits: pip keeps the executable bit from here.
            entry.external_attr = (0o100755 if executable else 0o100644) << 16
            zf.writestr(entry, data)
    print(f"wheel: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Instructions per certificate, counted by callgrind: the figure a busy machine cannot move.

    .venv/bin/python bench/certificate_instructions.py [--root CHECKOUT] [--batch 20]

Runs a small Python process under `valgrind --tool=callgrind` twice: one warm batch, then
either no more batches or two more; the difference in instructions, divided by the extra
certificates, is the cost of one certificate in a warm process (QR code, HTML, layout, PDF
files; batches as bulk issue makes them). About 5 minutes of one core. `--root` measures
another checkout's code (e.g. a `git worktree` of an older commit). Needs valgrind.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CHILD = """
import sys
sys.path.insert(0, {root!r})
from datetime import date
from content.certificates import CertificateData, _render_batch, TEMPLATE_DIR
names = ["Zoë Ångström", "Дмитрий Иванов", "Ελένη Παπαδοπούλου", "Nguyễn Thị Minh",
         "Ana Souza", "Kenji Watanabe"]
batch, extra = {batch}, {extra}
people = [
    CertificateData(
        learner_name=f"{{names[i % len(names)]}} {{i}}", title="Giving useful feedback",
        organisation="Northwind Logistics", authors=("Ana Souza", "Kenji Watanabe"),
        issued_on=date(2025, 3, 14), verify_base_url="https://learn.northwind.example/verify",
    ).validated()
    for i in range(batch * (extra + 1))
]
for start in range(0, len(people), batch):
    _render_batch((people[start : start + batch], "A4", str(TEMPLATE_DIR)))
"""


def instructions(root: Path, batch: int, extra: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        script = Path(tmp) / "child.py"
        script.write_text(_CHILD.format(root=str(root), batch=batch, extra=extra))
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        subprocess.run([*argv, sys.executable, str(script)], check=True, capture_output=True)
        return int(re.search(r"^summary: (\d+)", out.read_text(), re.M).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()
    root = args.root.resolve()
    warm = instructions(root, args.batch, 0)
    more = instructions(root, args.batch, 2)
    per_certificate = (more - warm) / (2 * args.batch)
    print(f"code from {root}: {per_certificate / 1e6:.1f} M instructions per certificate")
    print(json.dumps({"root": str(root), "batch": args.batch, "instructions": per_certificate}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

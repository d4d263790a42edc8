"""Do certificates still look the same? Render a fixed set as PNGs, then pixel-compare two sets.

    .venv/bin/python bench/certificate_look.py render OUT [--root CHECKOUT] [--dpi 60,150]
    .venv/bin/python bench/certificate_look.py compare BEFORE AFTER

`render` draws 24 certificates (scripts, long and wide texts, course and lesson, no authors,
escaping) on A4 and Letter, each alone (`render_certificate_pdf`) and from a bulk run
(`render_many`, batches of 5, 2 workers): 48 PDFs, rasterised with poppler's pdftoppm.
`--root` renders with another checkout's code (e.g. a `git worktree` of an older commit).
`compare` lists every PNG whose pixels differ; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def samples(data_class) -> dict:
    def c(name: str, **kw):
        base = {
            "title": "Giving useful feedback",
            "organisation": "Northwind Logistics",
            "authors": ("Ana Souza", "Kenji Watanabe"),
            "issued_on": date(2025, 3, 14),
            "verification_code": "PP-ABCD-EFGH-JKMN",
            "verify_base_url": "https://learn.northwind.example/verify",
        }
        base.update(kw)
        return data_class(learner_name=name, **base)

    return {
        "latin": c("Zoë Ångström-Nuñez"),
        "cyrillic": c("Дмитрий Иванов", verification_code="PP-7KQ2-M9XD-4RTA"),
        "greek": c("Ελένη Παπαδοπούλου", kind="course"),
        "viet": c("Nguyễn Thị Minh Khai", authors=()),
        "cjk": c("王小明", title="チームでのフィードバック"),
        "korean": c("김민준"),
        "arabic": c("محمد الأحمد", title="تقديم ملاحظات مفيدة"),
        "hebrew": c("דוד כהן"),
        "long": c(
            "Maria Fernanda de los Ángeles García-Villalobos Ruiz",
            title="A very long course title that goes on and on about peer learning, feedback, "
            "coaching and the many ways colleagues teach each other at work",
            authors=("A", "B", "C", "Dña. Very Long Author Name"),
        ),
        "widecode": c(
            "Олена Коваленко",
            verification_code="PP-MWMW-WMWM-MWMW-WMWM-MWMW-WMWM-MWMW",
            organisation="PeerPath Dev LMS",
        ),
        "typicalcode": c(
            "Siobhán Ó Súilleabháin", verification_code="PP-WXA5-DPPN-GD0D-GPQH-5C1E-SCFT-96KB"
        ),
        "escape": c("<b>O'Brien</b> & Co", organisation="Acme & Sons <Ltd>"),
    }


def render(out: Path, root: Path, dpis: list[str]) -> int:
    sys.path.insert(0, str(root))
    from content.certificates import CertificateData, render_certificate_pdf, render_many

    out.mkdir(parents=True, exist_ok=True)
    people = samples(CertificateData)

    def keep(name: str, pdf: bytes) -> None:
        path = out / f"{name}.pdf"
        path.write_bytes(pdf)
        for dpi in dpis:
            prefix = out / f"{name}@{dpi}"
            argv = ["pdftoppm", "-png", "-r", dpi, "-singlefile", str(path), str(prefix)]
            subprocess.run(argv, check=True)

    for paper in ("A4", "Letter"):
        for key, data in people.items():
            keep(f"single-{paper}-{key}", render_certificate_pdf(data, paper))
        bulk = render_many(list(people.values()), paper, workers=2, batch_size=5)
        for key, (_, pdf) in zip(people, bulk, strict=True):
            keep(f"bulk-{paper}-{key}", pdf)
    print(f"{len(list(out.glob('*.png')))} PNGs in {out} (code from {root})")
    return 0


def compare(before: Path, after: Path) -> int:
    import numpy as np
    from PIL import Image

    names = sorted(p.name for p in before.glob("*.png"))
    differing = []
    for name in names:
        a = np.asarray(Image.open(before / name).convert("RGB"), dtype=np.int16)
        if not (after / name).exists():
            differing.append(name)
            print(f"{name}: missing in {after}")
            continue
        b = np.asarray(Image.open(after / name).convert("RGB"), dtype=np.int16)
        if a.shape != b.shape:
            differing.append(name)
            print(f"{name}: size {a.shape} -> {b.shape}")
            continue
        delta = np.abs(a - b).max(axis=2)
        if delta.any():
            differing.append(name)
            print(f"{name}: {int((delta > 0).sum())} pixels differ, by up to {int(delta.max())}")
    print(f"{len(names) - len(differing)} of {len(names)} PNGs identical")
    print(json.dumps({"pngs": len(names), "differing": len(differing)}))
    return 1 if differing or not names else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("render")
    draw.add_argument("out", type=Path)
    draw.add_argument("--root", type=Path, default=ROOT)
    draw.add_argument("--dpi", default="60,150")
    check = commands.add_parser("compare")
    check.add_argument("before", type=Path)
    check.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "render":
        return render(args.out, args.root.resolve(), args.dpi.split(","))
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the content toolkit: lesson rendering, sanitising and certificate PDFs.

Run: .venv/bin/python bench/content.py [--certs 1000] [--only certificates]. Prints a table,
then one JSON line.

Certificates: besides wall time, the bulk run reports the CPU time its processes used per
certificate (the workers' and the parent's utime + stime). On a shared machine wall time
depends on what else runs; CPU per certificate does much less, and 2 cores / that CPU is
what the 2 workers would reach with the machine to themselves.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from content import parse_lesson, render_lesson_html, sanitize_html  # noqa: E402
from content.certificates import CertificateData, render_certificate_pdf, render_many  # noqa: E402

EXAMPLES = ROOT / "content" / "examples"


def _prose(path: Path) -> str:
    """The teaching part of an example lesson: body without front matter and knowledge checks."""
    body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    return body.split("## Check your understanding")[0]


def lesson_of_size(target: int) -> str:
    base = (EXAMPLES / "05-writing-a-fair-rubric.md").read_text(encoding="utf-8")
    filler = [_prose(p) for p in sorted(EXAMPLES.glob("*.md"))]
    text, i = base, 0
    while len(text.encode()) < target:
        for para in filler[i % len(filler)].split("\n\n"):
            if len(text.encode()) >= target:
                break
            text += "\n" + para + "\n"
        i += 1
    return text


def median_ms(fn, repeat: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cert(i: int) -> CertificateData:
    names = [
        "Zoë Ångström",
        "Дмитрий Иванов",
        "Ελένη Παπαδοπούλου",
        "Nguyễn Thị Minh",
        "Ana Souza",
        "Kenji Watanabe",
    ]
    return CertificateData(
        learner_name=f"{names[i % len(names)]} {i}",
        title="Giving useful feedback",
        organisation="Northwind Logistics",
        authors=("Ana Souza", "Kenji Watanabe"),
        issued_on=date(2025, 3, 14),
        verify_base_url="https://learn.northwind.example/verify",
    )


def _own_peak_mb() -> float:
    # ru_maxrss survives exec on Linux, so a process started from this fat benchmark would
    # report the benchmark's peak; VmHWM belongs to the new address space only
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def bulk_child(count: int, workers: int) -> int:
    items = [cert(i) for i in range(count)]
    start = time.perf_counter()
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)
    # render_many shuts its pool down when done, so the workers' CPU is in RUSAGE_CHILDREN
    assert sum(1 for _ in render_many(items, workers=workers)) == count
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    usage = {
        "seconds": seconds,
        "cpu_ms_per_cert": cpu / count * 1000,
        "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "parent_mb": _own_peak_mb(),
    }
    print(json.dumps(usage))
    return 0


def lesson_figures() -> tuple[dict, list[tuple[str, str, str]]]:
    small = lesson_of_size(5_000)
    large = lesson_of_size(100_000)
    small_bytes, large_bytes = len(small.encode()), len(large.encode())

    def full(text: str) -> str:
        return render_lesson_html(parse_lesson(text, "bench.md")).html

    html_small = full(small)
    ours_5k = median_ms(lambda: full(small), 400)
    sanitize_5k = median_ms(lambda: sanitize_html(html_small), 400)
    ours_100k = median_ms(lambda: full(large), 30, warmup=2)
    try:
        import cmarkgfm

        cmark_5k = median_ms(lambda: cmarkgfm.github_flavored_markdown_to_html(small), 400)
        cmark_100k = median_ms(lambda: cmarkgfm.github_flavored_markdown_to_html(large), 60)
    except ImportError:  # dev dependency; the ratio is then left out
        cmark_5k = cmark_100k = float("nan")
    figures = {
        "lesson_5kb_bytes": small_bytes,
        "lesson_5kb_ms_median": round(ours_5k, 3),
        "cmarkgfm_5kb_ms_median": round(cmark_5k, 3),
        "ratio_ours_to_cmarkgfm_5kb": round(ours_5k / cmark_5k, 1),
        "lesson_100kb_bytes": large_bytes,
        "lesson_100kb_mb_per_s": round(large_bytes / 1e6 / (ours_100k / 1000), 2),
        "cmarkgfm_100kb_mb_per_s": round(large_bytes / 1e6 / (cmark_100k / 1000), 2),
        "ratio_cmarkgfm_to_ours_100kb_speed": round(ours_100k / cmark_100k, 1),
        "sanitize_5kb_ms_median": round(sanitize_5k, 3),
    }
    rows = [
        ("5 KB lesson, parse+render+sanitise (median)", f"{ours_5k:.2f} ms", "<= 6 ms"),
        (
            "  cmarkgfm, same text (median)",
            f"{cmark_5k:.3f} ms",
            f"ours is {ours_5k / cmark_5k:.0f}x",
        ),
        ("100 KB lesson throughput", f"{figures['lesson_100kb_mb_per_s']:.2f} MB/s", ""),
        (
            "  cmarkgfm, same text",
            f"{figures['cmarkgfm_100kb_mb_per_s']:.2f} MB/s",
            f"{ours_100k / cmark_100k:.0f}x faster",
        ),
        ("nh3 sanitiser on 5 KB lesson HTML (median)", f"{sanitize_5k:.3f} ms", "~0.3 ms"),
    ]
    return figures, rows


def certificate_figures(certs: int, workers: int) -> tuple[dict, list[tuple[str, str, str]]]:
    start = time.perf_counter()
    render_certificate_pdf(cert(0))
    cert_first = (time.perf_counter() - start) * 1000
    counter = iter(range(1, 10_000))
    cert_warm = median_ms(lambda: render_certificate_pdf(cert(next(counter))), 30, warmup=3)

    single_n = min(100, certs)
    items = [cert(i) for i in range(single_n)]
    start, cpu = time.perf_counter(), time.process_time()
    assert sum(1 for _ in render_many(items, workers=1)) == single_n
    single_s = time.perf_counter() - start
    single_cpu_ms = (time.process_time() - cpu) / single_n * 1000

    # bulk runs in a fresh process, as `peerpath certificates bulk` does: workers fork from a
    # lean parent, so their RSS is what production sees, not this benchmark's lesson buffers
    child = subprocess.run(
        [sys.executable, __file__, "--bulk-child", str(certs), "--workers", str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    bulk = json.loads(child.stdout.strip().splitlines()[-1])
    bulk_s, worker_mb, main_mb = bulk["seconds"], bulk["worker_mb"], bulk["parent_mb"]
    bulk_cpu_ms = bulk["cpu_ms_per_cert"]
    cores = min(workers, os.cpu_count() or 1)
    projected = cores * 1000 / bulk_cpu_ms
    figures = {
        "certificate_first_ms": round(cert_first, 1),
        "certificate_warm_ms_median": round(cert_warm, 1),
        "certs_per_s_single_process": round(single_n / single_s, 1),
        "cert_cpu_ms_single_process": round(single_cpu_ms, 1),
        "bulk_certs": certs,
        "bulk_workers": workers,
        "bulk_seconds": round(bulk_s, 2),
        "bulk_certs_per_s": round(certs / bulk_s, 1),
        "bulk_cpu_ms_per_cert": round(bulk_cpu_ms, 2),
        "bulk_certs_per_s_projected_idle": round(projected, 1),
        "peak_worker_mb": round(worker_mb, 1),
        "peak_bulk_parent_mb": round(main_mb, 1),
    }
    rows = [
        ("certificate, first in process", f"{cert_first:.0f} ms", ""),
        ("certificate, warm (median)", f"{cert_warm:.0f} ms", "<= 100 ms"),
        (
            f"certificates/s, 1 process ({single_n})",
            f"{single_n / single_s:.1f}/s",
            f"{single_cpu_ms:.1f} ms CPU each",
        ),
        (
            f"certificates/s, {workers} workers ({certs})",
            f"{certs / bulk_s:.1f}/s",
            ">= 100/s",
        ),
        (f"{certs} certificates wall time", f"{bulk_s:.1f} s", "<= 12 s for 1000"),
        (
            "  CPU per certificate (workers + parent)",
            f"{bulk_cpu_ms:.1f} ms",
            f"{cores} idle cores: {projected:.0f}/s",
        ),
        ("peak RSS per worker process", f"{worker_mb:.0f} MB", "< 100 MB"),
        ("peak RSS of the bulk parent process", f"{main_mb:.0f} MB", ""),
    ]
    return figures, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--certs", type=int, default=1000, help="certificates in the bulk run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only", choices=["lessons", "certificates"], help="run one half of the benchmark"
    )
    parser.add_argument("--bulk-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bulk_child:
        return bulk_child(args.bulk_child, args.workers)
    load_before = os.getloadavg()[0]
    figures: dict = {}
    rows: list[tuple[str, str, str]] = []
    if args.only != "certificates":
        more, more_rows = lesson_figures()
        figures.update(more)
        rows += more_rows
    if args.only != "lessons":
        more, more_rows = certificate_figures(args.certs, args.workers)
        figures.update(more)
        rows += more_rows
    load_after = os.getloadavg()[0]
    figures.update(
        {
            "cpu_count": os.cpu_count(),
            "loadavg_before": round(load_before, 2),
            "loadavg_after": round(load_after, 2),
        }
    )
    rows.append(
        (
            "load average before/after (shared machine)",
            f"{load_before:.2f}/{load_after:.2f}",
            f"{os.cpu_count()} cores",
        )
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>14}  target / note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>14}  {note}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

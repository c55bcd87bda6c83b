"""Export-import rows: the benchmark corpus (``--size`` messages) written as a Telegram Desktop
export, imported by ImportService into a fresh vault, in a child process of its own so its
peak RSS is its own.

The budget's pipeline includes detection: every stored message is scanned by a
DetectionService holding ``RULES`` synthetic rules (no alert recipients). The importer parses
in a child process: the RSS figure is the sum of both processes' peaks (an upper bound, as the
peaks need not coincide).

The baseline, ``json.load`` of the same file, holds the whole document in memory: it runs only
up to ``JSON_LOAD_CAP`` messages, beyond which it would need several GB.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.context import DialectRun
from benchmarks.corpus_export import write_corpus_export
from benchmarks.figures import Baseline, Figure, rate
from benchmarks.storage import IMPORT_BUDGET

MB = 1024 * 1024
RULES = 1000
JSON_LOAD_CAP = 200_000
RSS_BUDGET = "≤ 300"
ROOT = Path(__file__).resolve().parent.parent  # the checkout: the child imports from it
JSON_LOAD = "json.load of the same file (parses only, stores nothing)"


async def probe(task: dict[str, Any]) -> dict[str, Any]:
    """Run one ``benchmarks.import_probe`` task in a fresh interpreter and return its result."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.import_probe",
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate(json.dumps(task).encode())
    if child.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"import probe {task['task']} failed: {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def export_import(run: DialectRun) -> list[Figure]:
    size = run.config.size
    with tempfile.TemporaryDirectory(prefix="tv-bench-export-") as folder:
        path = Path(folder) / "result.json"
        await asyncio.to_thread(write_corpus_export, path, run.corpus)
        file_mb = path.stat().st_size / MB
        db = await run.target.fresh("export")
        url = db.engine.url.render_as_string(hide_password=False)
        await db.dispose()  # the child opens its own connections
        task = {"task": "import", "path": str(path), "url": url, "media": f"{folder}/media",
                "rules": RULES, "seed": run.config.seed}  # fmt: skip
        ours = await probe(task)
        naive = (
            await probe({"task": "json_load", "path": str(path)}) if size <= JSON_LOAD_CAP else None
        )
    return _figures(run, ours, naive, file_mb)


def _figures(
    run: DialectRun, ours: dict[str, Any], naive: dict[str, Any] | None, file_mb: float
) -> list[Figure]:
    messages = int(ours["messages"])
    speed_notes = [
        f"{messages:,} messages ({ours['inserted']:,} stored) from a {file_mb:,.1f} MB "
        f"result.json in {ours['seconds']:.1f} s: validation pass, then the import pass",
        f"detection with {ours['rules']:,} synthetic rules on every stored message, "
        "matched in the parser process (compiled there once), hits stored by the importer",
        f"CPU: {ours['cpu_seconds']:.1f} s in the importer's process, "
        f"{ours['parser_cpu_seconds']:.1f} s in the parser process",
    ]
    importer, parser = ours["peak_rss_bytes"], ours["parser_peak_rss_bytes"]
    rss_notes = [
        f"importer {importer / MB:.0f} MB + parser process {parser / MB:.0f} MB (sum of the "
        f"two peaks); {ours['libraries_rss_bytes'] / MB:.0f} MB of the importer's is the "
        "interpreter and libraries before the import starts",
        "budget is for a 1 GB export",
    ]
    speed_baseline = rss_baseline = None
    if naive is None:
        skipped = f"json.load not run above {JSON_LOAD_CAP:,} messages: it would need several GB"
        speed_notes.append(skipped)
        rss_notes.append(skipped)
    else:
        speed_baseline = Baseline(JSON_LOAD, rate(naive["messages"], naive["seconds"]), messages)
        rss_baseline = Baseline(JSON_LOAD, naive["peak_rss_bytes"] / MB, messages)
        speed_notes.append(f"json.load alone took {naive['seconds']:.2f} s")
    return [
        Figure(
            "import of a Desktop export (result.json), fresh vault",
            rate(messages, ours["seconds"]),
            "msg/s",
            run.dialect,
            IMPORT_BUDGET.get(run.dialect, "-"),  # the budget's pipeline, end to end
            baseline=speed_baseline,
            notes=tuple(speed_notes),
        ),
        Figure(
            "peak RSS importing a Desktop export",
            (importer + parser) / MB,
            "MB",
            run.dialect,
            RSS_BUDGET,
            rss_baseline,
            higher_is_better=False,
            notes=tuple(rss_notes),
        ),
    ]

"""The benchmark's output: a JSON file and a Markdown table with the machine and its versions."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

import core
from benchmarks.figures import Figure
from benchmarks.runner import RunResult

PACKAGES = ("sqlalchemy", "aiosqlite", "asyncpg", "alembic")
COLUMNS = ("figure", "value", "unit", "budget", "baseline", "baseline value", "ratio", "dialect")


def code_fingerprint() -> str:
    """A hash of the measured storage code: results are compared per version of it."""
    root = Path(core.__file__).parent
    files = sorted([*root.glob("db/**/*.py"), root / "text.py", root / "domain" / "messages.py"])
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine_facts(result: RunResult) -> dict[str, Any]:
    server_versions = result.server_versions
    return {
        "load_average_1_5_15": result.load_average,
        "process_peak_rss_mb": round(result.lifetime_peak_rss / 2**20, 1),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": server_versions.get("postgresql", "not measured"),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def as_document(result: RunResult, machine: dict[str, Any], when: datetime) -> dict[str, Any]:
    config = asdict(result.config)
    config["out"] = str(result.config.out)
    config["rows"] = sorted(result.config.rows) if result.config.rows is not None else None
    config["postgres_url"] = make_url(result.config.postgres_url).render_as_string(True)
    return {
        "generated_at": when.isoformat(),
        "duration_seconds": round(result.seconds, 1),
        "config": config,
        "storage_code_sha256": code_fingerprint(),
        "machine": machine,
        "figures": [figure.as_dict() for figure in result.figures],
        "notes": result.notes,
    }


def markdown(result: RunResult, machine: dict[str, Any], when: datetime) -> str:
    lines = [
        f"## TelegramVault benchmark, {result.config.size:,} messages "
        f"({when:%Y-%m-%d %H:%M} UTC, {result.seconds / 60:.1f} min)",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *(_row(figure) for figure in result.figures),
        "",
        "Notes:",
        *(
            f"- {figure.name} ({figure.dialect}): {'; '.join(figure.notes)}"
            for figure in result.figures
            if figure.notes
        ),
        *(f"- {note}" for note in result.notes),
        "",
        _machine_line(machine),
        f"Storage code measured: sha256 {code_fingerprint()} over core/db, core/text.py and "
        "core/domain/messages.py.",
    ]
    return "\n".join(lines) + "\n"


def _row(figure: Figure) -> str:
    baseline = figure.baseline
    ratio = figure.ratio
    cells = (
        figure.name,
        number(figure.value),
        figure.unit,
        figure.budget,
        baseline.name if baseline else "—",
        number(baseline.value) if baseline else "—",
        f"{ratio:.1f}×" if ratio is not None else "—",
        figure.dialect,
    )
    return "| " + " | ".join(cells) + " |"


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _machine_line(machine: dict[str, Any]) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    load = ", ".join(
        f"{when} {' / '.join(f'{v:.2f}' for v in values)}"
        for when, values in machine["load_average_1_5_15"].items()
    )
    return (
        f"Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['platform']}; "
        f"Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine['postgresql']}; {packages}. Load average (1/5/15 min): {load}. "
        f"Process peak RSS: {machine['process_peak_rss_mb']} MB."
    )


def write(result: RunResult) -> tuple[Path, Path, str]:
    """Write ``<out>/<timestamp>.json`` and ``.md``; return both paths and the Markdown."""
    when = datetime.now(UTC)
    machine = machine_facts(result)
    out = result.config.out
    out.mkdir(parents=True, exist_ok=True)
    stem = when.strftime("%Y%m%dT%H%M%SZ")
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    document = as_document(result, machine, when)
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    text = markdown(result, machine, when)
    md_path.write_text(text)
    return json_path, md_path, text

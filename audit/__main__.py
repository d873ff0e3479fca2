"""``python -m audit``: write reports/REPORT.md and reports/report.html, then one line: verdict, counts, wall time,
report path.

Exit status (after writing both files, so the reader sees why): 0 PASSED, 1 FAILED (a scenario failed, a
traceability check failed), 2 NOT RUN (the suite did not run: see ``audit.verdict``). An unexpected error (a
traceback) also exits non-zero, without a report. The output folder is ignored by git: generating the report
never changes a tracked file.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from audit.adrs import load_adrs
from audit.analysis import Analysis, Inputs
from audit.inventory import endpoints, environment_variables, secret_variable_names
from audit.links import adr_link_problems, dead_links, show
from audit.power import load_power
from audit.redact import Redactor
from audit.render import to_html, to_markdown
from audit.report import build
from audit.results import load_results
from audit.spec import parse_spec


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m audit", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: current folder)")
    parser.add_argument("--reports", type=Path, help="suite results folder (default: ROOT/reports)")
    parser.add_argument("--spec", type=Path, help="default: ROOT/specs/004-backend-deployment/spec.md")
    parser.add_argument("--adr-dir", type=Path, help="default: ROOT/history/adr")
    parser.add_argument("--features", type=Path, help="feature files, to find scenarios absent from the results "
                                                      "(default: ROOT/features)")
    parser.add_argument("--out", type=Path, help="output folder (default: ROOT/reports, next to the results)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    root: Path = arguments.root.resolve()
    adr_dir = (arguments.adr_dir or root / "history" / "adr").resolve()
    out_dir = (arguments.out or root / "reports").resolve()
    redact = Redactor(secret_variable_names())

    reports = arguments.reports or root / "reports"
    results = load_results(reports, arguments.features or root / "features",
                           root, redact)
    adrs, adr_problems = load_adrs(adr_dir)
    inputs = Inputs(
        scenarios=results.scenarios,
        run=results.run and replace(results.run, **{key: redact(value) for key, value in vars(results.run).items()
                                                    if isinstance(value, str)}),
        spec=parse_spec(arguments.spec or root / "specs" / "004-backend-deployment" / "spec.md"),
        adrs=adrs,
        endpoints=endpoints(),
        variables=environment_variables(root / "Procfile"),
        adr_dir=adr_dir, out_dir=out_dir, root=root,
        problems=results.problems + adr_problems + adr_link_problems(adr_dir, [adr.path.name for adr in adrs]),
        warnings=results.warnings,
        unreadable=results.unreadable,
        power=load_power(reports),
    )
    analysis = Analysis(inputs)
    document = build(inputs, analysis)
    out_dir.mkdir(parents=True, exist_ok=True)  # links are checked from where the report will live
    report_dead = dead_links(document.links(), out_dir)
    if report_dead:
        analysis.problems += [f"dead link in the report: {href}" for href in report_dead]
        document = build(inputs, analysis)

    markdown_path, html_path = out_dir / "REPORT.md", out_dir / "report.html"
    markdown_path.write_text(to_markdown(document), encoding="utf-8")
    html_path.write_text(to_html(document), encoding="utf-8")
    wall = inputs.record.wall_seconds
    wall_time = f"wall time {wall:.1f} s" if isinstance(wall, int | float) else "wall time unknown"
    print(f"{document.verdict} — {wall_time} — report: {show(markdown_path, root)}")
    return analysis.verdict().exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

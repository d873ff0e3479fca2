"""Checks that read the checkout, not the server: ADRs, a secret scan and the audit report's generator. They are
safe in live mode too (nothing is sent anywhere).

SC-002 ("secrets missing from the codebase") is checked by detect-secrets over every tracked or new file against
the reviewed baseline ``.secrets.baseline``; to prove the scanner is awake, the same configuration must also flag a
secret planted in a temporary file. Decision: history/adr/0016-secret-scanning-with-detect-secrets.md.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import tempfile
from contextlib import chdir
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from audit.adrs import ADR_FILE, Adr, load_adrs, sections
from audit.links import MARKDOWN_LINK, dead_links
from audit.traceability import ADR_DIR, ROOT
from backend.local.checkout import git

BASELINE = ROOT / ".secrets.baseline"


def adrs() -> list[Adr]:
    """The ADRs as the report reads them (``audit.adrs``)."""
    return load_adrs(ADR_DIR)[0]


def decision_problems(decisions: dict[str, str], found: list[Adr]) -> list[str]:
    """For each listed decision (ADR number → what it decides): no ADR, or an ADR MADR finds incomplete."""
    by_number = {adr.number: adr for adr in found}
    problems = []
    for number, decision in decisions.items():
        adr = by_number.get(number)
        problems += adr.madr_problems() if adr else [f"{number} ({decision}): no file history/adr/{number}-*.md"]
    return problems


def adr_links(markdown: str, base: Path) -> tuple[list[str], list[str], list[str]]:
    """(the report's relative links to ADR files, those that do not open from ``base``, ADRs it links nowhere)."""
    linked = {href: match.group(1) for href in MARKDOWN_LINK.findall(markdown)  # the ADR file name rule: audit.adrs
              if (match := ADR_FILE.match(PurePosixPath(urlsplit(href).path).name))}
    return list(linked), dead_links(list(linked), base), sorted({adr.number for adr in adrs()} - set(linked.values()))


# ------------------------------------------------------------------------------------------------ secrets


def repository_files() -> list[str]:
    """Tracked files plus new, not-ignored ones: a secret about to be committed counts too."""
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z")
    if listed is None:
        raise AssertionError(f"the secret scan lists files with git, and {ROOT} is not a git checkout")
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


@dataclass(frozen=True)
class Finding:
    """Where a scanner found something; never the value itself."""

    filename: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line} ({self.kind})"


def scan_for_secrets() -> tuple[list[Finding], list[Finding], int]:
    """(new findings not in the baseline, baseline entries not reviewed as false positives, files scanned)."""
    from detect_secrets import SecretsCollection
    from detect_secrets.core import baseline

    with chdir(ROOT):
        loaded = baseline.load(baseline.load_from_file(str(BASELINE)), str(BASELINE))
        files = [name for name in repository_files() if name != BASELINE.name]
        found = SecretsCollection(root=str(ROOT))
        for name in files:
            found.scan_file(name)
    reviewed = {(name, secret.secret_hash, secret.type) for name, secret in loaded}
    new = [Finding(name, secret.line_number or 0, secret.type) for name, secret in found
           if (name, secret.secret_hash, secret.type) not in reviewed]  # line numbers may move; the hash may not
    unreviewed = [Finding(name, secret.line_number or 0, secret.type) for name, secret in loaded
                  if secret.is_secret is not False]
    return new, unreviewed, len(files)


def scanner_flags_a_planted_secret() -> list[str]:
    """Scan a temporary file holding a freshly generated secret with the baseline's plugins: the types found."""
    from detect_secrets import SecretsCollection
    from detect_secrets.core import baseline

    with tempfile.TemporaryDirectory() as folder:
        planted = Path(folder) / "settings_example.py"
        # detect-secrets' keyword plugin skips a value that starts with "-" (1 in 64 of token_urlsafe's; its entropy
        # plugin still flags it): the planted value starts with a letter so this check never flakes on that.
        value = "s" + secrets.token_urlsafe(48)
        planted.write_text(f'BETTER_AUTH_SECRET = "{value}"\n', encoding="utf-8")
        with chdir(ROOT):
            baseline.load(baseline.load_from_file(str(BASELINE)), str(BASELINE))  # same plugins and filters
        collection = SecretsCollection(root=folder)
        collection.scan_file(str(planted))
        return sorted({secret.type for _, secret in collection})


# ------------------------------------------------------------------------------------------------ audit report


@dataclass(frozen=True)
class RenderedReport:
    markdown: str
    out_dir: Path
    exit_code: int
    output: str


def render_audit_report(work_dir: Path) -> RenderedReport:
    """Run the report's generator (issue 4's contract: ``python -m audit``, writing REPORT.md) from this checkout
    into ``work_dir``, with no suite results: the run in progress has not finished writing them, and the real
    audit/REPORT.md is `make report`'s to write. Endpoints, variables and security measures come from the code."""
    import sys

    reports, out_dir = work_dir / "reports", work_dir / "audit"
    reports.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "audit", "--root", str(ROOT), "--reports", str(reports), "--out", str(out_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    report = out_dir / "REPORT.md"
    markdown = report.read_text(encoding="utf-8") if report.exists() else ""
    return RenderedReport(markdown, out_dir, completed.returncode, (completed.stdout + completed.stderr)[-2000:])


def unlisted_routes(endpoints_section: str) -> tuple[list[str], list[str]]:
    """(every route as ``"METHOD /path"``, those the report's Endpoints section does not list).

    The routes come from the route table the report itself is generated from (``audit.inventory.endpoints``),
    never from ``app.routes``: on this FastAPI that yields included routers without methods, i.e. nothing to
    check, and a check with nothing to check cannot fail."""
    from audit.inventory import endpoints

    listed = set()
    for line in endpoints_section.splitlines():
        cells = [cell.strip().strip("`") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) >= 2:
            listed.update((method, cells[1]) for method in cells[0].split())
    expected = [f"{method} {endpoint.path}" for endpoint in endpoints() for method in endpoint.methods]
    return expected, [route for route in expected if tuple(route.split(" ", 1)) not in listed]


SECURITY_TOPICS = {"CORS": r"\bCORS\b", "JWT": r"\bJWT\b|token", "user isolation": r"isolation",
                   "deep health check": r"health", "docs off": r"docs|documentation", "secrets": r"secret"}


def unnamed_measures(measures_section: str) -> list[str]:
    """The security measures the deployment relies on that the report's section does not name."""
    return [name for name, pattern in SECURITY_TOPICS.items() if not re.search(pattern, measures_section, re.I)]


def report_sections(markdown: str) -> dict[str, str]:
    """The report's sections by lower-cased title without their number ("## 5. Endpoints" → "endpoints")."""
    return {re.sub(r"^\d+\.\s*", "", title): text for title, text in sections(markdown).items()}

"""Section "What this run could not show": the limits of this run, stated plainly next to its verdict.

From the run record (``reports/run.json``): what the suite's mode cannot rehearse (``not_rehearsed``, written by
the suite, which knows its stand-ins), the database path it could see, the checks a live run cannot make, and —
in live mode — which scenarios read this checkout rather than the deployment, with the checkout's commit next to
the version the deployment reports (they differ: the repository checks describe another commit).
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.document import Bullets, Inline, Paragraph, Section, Text
from audit.model import Scenario
from audit.run import RunRecord
from audit.traceability import CHECKOUT_TAG

SHORTEST_COMMIT = 7


def scope_section(title: str, run: RunRecord, scenarios: Sequence[Scenario],
                  unconfirmed: Sequence[str]) -> Section:
    items: list[tuple[Inline, ...]] = []
    not_rehearsed = run.not_rehearsed
    if isinstance(not_rehearsed, list) and not_rehearsed:
        items += [_item("Not rehearsed", Text(str(item))) for item in not_rehearsed]
    else:
        items.append(_item("Not rehearsed", Text("unknown — the run record does not say")))
    items.append(_item("Database path", Text(str(run.database_path or "unknown — the run "
                                                                 "record does not say"))))
    for tag, check in sorted((run.local_only_checks or {}).items()):
        items.append(_item("Not checked live", Text(f"{tag}: {check}")))
    if run.mode == "live":
        checkout = [scenario.name for scenario in scenarios if CHECKOUT_TAG in scenario.tags]
        if checkout:
            items.append(_item("Read this checkout, not the deployment",
                               Text(f"{'; '.join(checkout)} — made on {checkout_description(run)}")))
        items.append(_item("Deployed version", Text(version_comparison(run))))
    if unconfirmed:
        items.append(_item("ADRs not confirmed in this run", Text(", ".join(unconfirmed)
                                                                                 + " (why: section Decisions)")))
    return Section(title, [
        Paragraph((Text("A passing run proves what it exercised, and only that."),)),
        Bullets(tuple(items)),
    ])


def _item(label: str, value: Inline) -> tuple[Inline, ...]:
    return (Text(f"{label}:", strong=True), Text(" "), value)


def checkout_description(run: RunRecord) -> str:
    commit = run.suite_commit
    if not commit:
        return "a checkout whose commit is unknown"
    return f"commit {commit}" + (" plus uncommitted changes" if run.checkout_modified else "")


def version_comparison(run: RunRecord) -> str:
    """The version /health reports against the checkout's commit (either may be abbreviated)."""
    version, commit = run.version, run.suite_commit
    if not version:
        return "unknown (/health reported none): cannot tell whether the repository checks apply to it"
    if not commit:
        return f"{version}; the checkout's commit is unknown: cannot tell whether the repository checks apply to it"
    if same_commit(str(version), str(commit)):
        return f"{version}, the checkout's commit: the repository checks apply to what is deployed"
    return (f"{version}, which is NOT the checkout's commit {commit}: the repository checks (ADRs, secrets, pool "
            f"settings) were made on {commit}, the HTTP checks on the deployed {version}")


def same_commit(version: str, commit: str) -> bool:
    shorter, longer = sorted((version.strip().lower(), commit.strip().lower()), key=len)
    return len(shorter) >= SHORTEST_COMMIT and longer.startswith(shorter)


def version_mismatch(run: RunRecord) -> str | None:
    """A warning when a live run's repository checks describe another commit than the deployed one."""
    version, commit = run.version, run.suite_commit
    if run.mode == "live" and version and commit and not same_commit(str(version), str(commit)):
        return f"the deployment reports version {version}, the checkout is {commit}: see section Scope"
    return None

"""The audit report: generated from what the acceptance suite actually ran, never written by hand.

Decision: history/adr/0015-audit-report-generated-from-results.md. Entry point: ``python -m audit``.
"""

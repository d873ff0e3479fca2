"""The mutation stage: the real backend started with one named fault at a time, the live-safe acceptance suite run
against each, and every fault that survives reported. Test-only code: nothing under ``backend/`` imports it, and
the production Procfile never names it. Decision: history/adr/0021-mutation-stage.md.
"""

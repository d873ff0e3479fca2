"""Step implementations for the acceptance suite (features/). Plumbing lives in ``steps.support``.

behave loads every module of this folder as a step module; this file only makes ``steps`` an importable package.
"""

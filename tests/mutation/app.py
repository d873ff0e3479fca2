"""The faulty app factory: what the stage's Procfile names instead of ``backend.main:create_app_from_environment``.

The production Procfile names ``backend.main``; nothing under ``backend/`` imports this package (a test proves it),
so no environment variable can switch a fault on in production: only a Procfile that names this module can.
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from backend.main import create_app_from_environment
from tests.mutation.catalogue import fault_named
from tests.mutation.fault import Injection

FAULT_VARIABLE = "MUTATION_FAULT"
TARGET = "tests.mutation.app:create_app_with_fault"

logger = logging.getLogger("tests.mutation")


def create_app_with_fault() -> FastAPI:
    """The real app, built by the real factory from the environment, with the fault ``MUTATION_FAULT`` names."""
    fault = fault_named(os.environ[FAULT_VARIABLE])
    injection = Injection()
    fault.inject(injection)
    injection.apply_patches()
    app = create_app_from_environment()
    injection.finish(app)
    logger.warning("mutation stage: fault %r injected — %s", fault.name, fault.description)
    return app

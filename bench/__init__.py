"""``make bench``: how fast and how frugal the production deployment is, each figure next to a baseline.

Run it::

    make bench            # or: .venv/bin/python -m bench

It needs nothing but the dev requirements and two Debian packages: ``pgbouncer`` (as the tests) and ``wrk``
(the load generator; the bench installs it itself when it is missing and it may: root or password-less sudo,
otherwise it says what to install and reports the throughput rows as "not measured"). All traffic stays on
127.0.0.1; every load loop is bounded in count and in time; the whole run takes about 3-5 minutes on 2 cores.

What it does (issue 5; spec SC-004; decisions in history/adr/0002, 0003 and 0018):

1. Deploys production locally with :class:`backend.local.rehearsal.Rehearsal`: real PostgreSQL, real PgBouncer
   in transaction mode (Neon's ``-pooler`` endpoint), ``alembic upgrade head``, then the Procfile ``web`` line via
   honcho with ``ENVIRONMENT=production``. A second Procfile process points straight at PostgreSQL (Neon's
   direct endpoint), and :mod:`bench.baseline_app` (raw ASGI + raw asyncpg pool on the same uvicorn) runs against
   each database path: the practical ceiling of the stack.
2. Throughput/latency with ``wrk --latency`` on ``GET /api/{user_id}/tasks`` (20 seeded tasks) and
   ``GET /health`` at 1, 16 and 64 connections, app and baseline interleaved (:mod:`bench.throughput`).
3. Connection budget: the measured server's own ESTABLISHED sockets to the database port (``/proc``), with
   ``pg_stat_activity`` and PgBouncer's ``SHOW POOLS`` beside them, sampled in one extra 64-connection run of each
   side after a cell's rounds — never during a round that counts for a ratio, since the sampler takes CPU from the
   same cores; the baseline's own count is reported too (:mod:`bench.connections`).
4. Cold start: Procfile start → first ``/health`` 200, median of several starts (:mod:`bench.coldstart`).
5. Dropout: create+read-back load while PostgreSQL is stopped and started; status counts, lost writes, time to
   ``/health`` 200 (:mod:`bench.dropout`).
6. Suite speed: the acceptance suite's live-safe set against the deployment, directly and through a loopback
   proxy adding 100 ms each way (:mod:`bench.proxy`, :mod:`bench.suite`).

Output: one Markdown table on stdout, also written with the machine's description to ``bench/RESULTS.md``.
Exit code 0 when every measured target holds, 1 otherwise (an unmeasured figure is reported, not failed).
"""

"""Mixed workload (issue 12 target 3): 80 % list reads, 20 % writes (10 % create, 5 % update, 5 % toggle), app
and baseline interleaved, with its own ratio and a durability check: every create answered 201 must be a row in
PostgreSQL afterwards (asked of PostgreSQL itself, not of the API).

Each server writes as its own user, so the counts of the two never mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import asyncpg

from bench.services import Server, bench_token, seed_tasks
from bench.throughput import Measured, Round, interleaved, measure

MIXED_CONNECTIONS = 64
SEEDED = 20

WORKLOAD = """
local token, user, ids = %(token)s, %(user)s, {%(ids)s}
local auth = {["Authorization"] = "Bearer " .. token}
local body_headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
local counter = 0
request = function()
  counter = counter + 1
  local kind = counter %% 20
  local id = ids[(counter %% #ids) + 1]
  if kind < 16 then
    return wrk.format("GET", "/api/" .. user .. "/tasks?limit=20", auth)
  elseif kind < 18 then
    return wrk.format("POST", "/api/" .. user .. "/tasks", body_headers, '{"title": "mixed"}')
  elseif kind == 18 then
    return wrk.format("PUT", "/api/" .. user .. "/tasks/" .. id, body_headers,
                      '{"title": "renamed", "description": null}')
  end
  return wrk.format("PATCH", "/api/" .. user .. "/tasks/" .. id .. "/complete", auth)
end
response = function(status, headers, body)
  if status == 201 then created = created + 1 end
end
"""


@dataclass
class MixedResult:
    rounds: list[Round] = field(default_factory=list)
    acknowledged: int = 0  # creates answered 201, app side
    lost: int = 0  # of those, missing from the table afterwards
    baseline_lost: int = 0


def workload(token: str, user_id: str, task_ids: list[int]) -> str:
    return WORKLOAD % {"token": json.dumps(token), "user": json.dumps(user_id),
                       "ids": ", ".join(str(task_id) for task_id in task_ids)}


async def _rows(postgres_url: str, user_id: str) -> int:
    connection = await asyncpg.connect(postgres_url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM tasks WHERE user_id = $1", user_id))
    finally:
        await connection.close()


async def measure_mixed(wrk: str, app: Server, baseline: Server, secret: str, postgres_url: str, seconds: int,
                        rounds: int) -> MixedResult:
    result = MixedResult()
    scripts = {}
    for server in (app, baseline):
        user_id = f"bench-mixed-{'app' if server is app else 'baseline'}"
        token = bench_token(secret, user_id)
        scripts[server.label] = (user_id, workload(token, user_id, seed_tasks(app.base_url, token, SEEDED, user_id)))

    async def run(server: Server) -> tuple[Measured, int]:
        """One run and how many of its acknowledged creates are not in the table."""
        user_id, script = scripts[server.label]
        before = await _rows(postgres_url, user_id)
        measured = await measure(wrk, server, "/", MIXED_CONNECTIONS, seconds, {}, script)
        stored = await _rows(postgres_url, user_id) - before
        return measured, max(0, measured.load.created - stored)

    for number in range(rounds):
        (base, base_lost), (measured, lost) = await interleaved(number, lambda: run(baseline), lambda: run(app))
        result.rounds.append(Round(measured, base))
        result.acknowledged += measured.load.created
        result.lost += lost
        result.baseline_lost += base_lost
    return result

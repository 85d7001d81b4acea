"""schemathesis over the OpenAPI document the API serves: generated requests for every operation (valid
and invalid bodies, odd path and query values), as staff and as a stranger, never answer 5xx, and every
refusal is JSON with a Chinese message."""
from __future__ import annotations

import asyncio
import re

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given

from tests.support.api import Api

EXAMPLES = 40  # per operation and per caller: bounded, so `make test` stays quick
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _fuzz(operation, base_url: str, headers: dict) -> list[str]:
    problems: list[str] = []

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"{where}: {response.text[:200]}")
        elif response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
            message = response.json().get("message", "") if isinstance(response.json(), dict) else ""
            if not CHINESE.search(message):
                problems.append(f"{where}: refusal without a Chinese message: {response.text[:200]}")

    run()
    return problems


async def test_generated_requests_for_every_operation_never_answer_5xx(client, auth, clock):
    api = Api(client, auth, clock)
    await api.roster()
    await api.take_to("handling")  # a real proposal and assignment among the generated ids
    document = await (await client.get("/api/v1/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    base_url = str(client.make_url("")).rstrip("/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the document describes the API's operations"
    problems: list[str] = []
    for operation in operations:
        for headers in (auth, {}):
            problems += await asyncio.to_thread(_fuzz, operation, base_url, headers)
    assert problems == [], "\n".join(problems[:20])

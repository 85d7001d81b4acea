"""HTTP steps the integration tests repeat: a roster, a submitted proposal, unit links, taking a
proposal to a given state. Everything goes through the JSON API and the unit links, never the engine."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from workflow.domain import clock as beijing

CHINESE = re.compile(r"[\u4e00-\u9fff]")

def assert_bilingual(message: str, *english: str) -> None:
    assert CHINESE.search(message), message
    for word in english:
        assert word in message, (word, message)

DEPUTIES = [
    {"number": "D001", "name": "张三丰", "delegation": "城关镇", "phone": "13800000001"},
    {"number": "D002", "name": "李四海", "delegation": "西渡镇", "phone": "13800000002"},
]
UNITS = [
    {"code": "JYJ", "name": "县教育局", "contact_name": "赵联络", "contact_phone": "0734-1"},
    {"code": "JTJ", "name": "县交通运输局", "contact_name": "钱联络", "contact_phone": "0734-2"},
]

# The states `take_to` knows, in the order a proposal reaches them.
PATH = ["submitted", "accepted", "assigned", "handling", "replied", "implementing", "closed"]


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any = None

    def message(self) -> str:
        return self.body.get("message", "") if isinstance(self.body, dict) else ""


async def _answer(response) -> Answer:
    if response.content_type == "application/json":
        body = await response.json()
    else:
        body = await response.text()
    return Answer(response.status, body, response.headers)


class Api:
    """The JSON API as staff (bearer token) and the unit links, over the aiohttp test client."""

    def __init__(self, client, auth: dict, clock: Optional[Callable[[], dt.date]] = None):
        self.client, self.auth, self.clock = client, auth, clock or beijing.today

    # ------------------------------------------------------------------ plain calls
    async def get(self, path: str, headers: Optional[dict] = None, **params) -> Answer:
        return await _answer(await self.client.get(path, headers=self.auth if headers is None else headers,
                                                   params=params or None))

    async def post(self, path: str, body: Any, headers: Optional[dict] = None) -> Answer:
        return await _answer(await self.client.post(path, json=body, headers=self.auth if headers is None else headers))

    async def roster(self, deputies=DEPUTIES, units=UNITS) -> None:
        for deputy in deputies:
            answer = await self.post("/api/v1/deputies", deputy)
            assert answer.status == 201, answer.body
        for unit in units:
            answer = await self.post("/api/v1/units", unit)
            assert answer.status == 201, answer.body

    # ------------------------------------------------------------------ proposals
    async def submit(self, lead: str = "D001", title: str = "关于改善城关中学校舍的建议",
                     content: str = "城关中学教学楼年久失修，建议列入年度维修计划。", **extra) -> str:
        body = {"lead_deputy": lead, "title": title, "content": content, **extra}
        answer = await self.post("/api/v1/proposals", body)
        assert answer.status == 201, answer.body
        assert answer.body["state"] == "submitted"
        return answer.body["number"]

    async def detail(self, number: str) -> dict:
        answer = await self.get(f"/api/v1/proposals/{number}")
        assert answer.status == 200, answer.body
        return answer.body

    async def events(self, number: str) -> int:
        return len((await self.detail(number))["events"])

    async def act(self, number: str, action: str, headers: Optional[dict] = None, **params) -> Answer:
        return await self.post(f"/api/v1/proposals/{number}/actions", {"action": action, **params}, headers)

    async def ok(self, number: str, action: str, **params) -> dict:
        answer = await self.act(number, action, **params)
        assert answer.status == 200, (action, answer.body)
        return answer.body

    # ------------------------------------------------------------------ unit links
    async def link(self, number: str, unit: str) -> str:
        """The path /u/<token> of `unit`'s live assignment on the proposal."""
        for assignment in (await self.detail(number))["assignments"]:
            if assignment["unit"] == unit and assignment["link"]:
                return urlsplit(assignment["link"]).path
        raise AssertionError(f"{unit} has no live assignment on {number}")

    async def unit_act(self, path: str, action: str, **params) -> Answer:
        response = await self.client.post(path, json={"action": action, **params},
                                          headers={"Accept": "application/json"})
        return await _answer(response)

    async def unit_ok(self, path: str, action: str, **params) -> dict:
        answer = await self.unit_act(path, action, **params)
        assert answer.status == 200, (action, answer.body)
        return answer.body

    async def unit_view(self, path: str) -> Answer:
        return await _answer(await self.client.get(path, headers={"Accept": "application/json"}))

    # ------------------------------------------------------------------ whole stretches of the path
    def promise_date(self, days: int = 180) -> str:
        return (self.clock() + dt.timedelta(days=days)).isoformat()

    async def reply(self, path: str, category: str = "B", **params) -> dict:
        body = {"category": category, "text": f"{category} 类答复：已列入今年计划。", "signer": "周局长", **params}
        if category in ("B", "C"):
            body.setdefault("promise_date", self.promise_date())
        return await self.unit_ok(path, "reply", **body)

    async def take_to(self, state: str, number: Optional[str] = None, lead: str = "JYJ", co: Optional[str] = "JTJ",
                      category: str = "B", due_date: Optional[str] = None, **create) -> str:
        """A proposal (new, or `number`) taken along the main path up to `state`."""
        number = number or await self.submit(**create)
        detail = await self.detail(number)
        for step in PATH[PATH.index(detail["state"]) + 1:PATH.index(state) + 1]:
            await self._step(number, step, lead, co, category, due_date)
        assert (await self.detail(number))["state"] == state
        return number

    async def _step(self, number, step, lead, co, category, due_date) -> None:
        if step == "accepted":
            await self.ok(number, "accept", category="教育")
        elif step == "assigned":
            params = {"lead_units": [lead], "co_units": [co] if co else []}
            await self.ok(number, "assign", **params, **({"due_date": due_date} if due_date else {}))
        elif step == "handling":
            for unit in filter(None, [lead, co]):
                await self.unit_ok(await self.link(number, unit), "sign")
        elif step == "replied":
            lead_link = await self.link(number, lead)
            await self.unit_ok(lead_link, "log_contact", method="面谈", summary="到校实地查看，与代表当面沟通。")
            if co:
                await self.unit_ok(await self.link(number, co), "submit_opinion", text="协办意见：同意维修，资金可统筹。")
            await self.reply(lead_link, category)
        elif step == "implementing":
            await self.ok(number, "evaluate_reply", rating="satisfied")
        elif step == "closed":  # the unit reports it done: now the deputy rates what was done
            await self.unit_ok(await self.link(number, lead), "report_progress", text="已全部完成。", percent=100)
            await self.ok(number, "evaluate_implementation", rating="satisfied")

"""A first pass through the API: create roster, submit, accept, assign, look."""


async def test_staff_can_enter_and_accept_a_proposal(client, auth):
    r = await client.post("/api/v1/deputies", json={"number": "D001", "name": "张三"}, headers=auth)
    assert r.status == 201, await r.text()
    r = await client.post("/api/v1/units", json={"code": "JYJ", "name": "县教育局"}, headers=auth)
    assert r.status == 201
    r = await client.post("/api/v1/proposals", json={"lead_deputy": "D001", "title": "校舍", "content": "修缮"},
                          headers=auth)
    assert r.status == 201, await r.text()
    body = await r.json()
    assert body["state"] == "submitted"
    number = body["number"]
    r = await client.post(f"/api/v1/proposals/{number}/actions", json={"action": "accept", "category": "教育"},
                          headers=auth)
    assert r.status == 200, await r.text()
    r = await client.post(f"/api/v1/proposals/{number}/actions", json={"action": "accept", "category": "教育"},
                          headers=auth)
    assert r.status == 409
    body = await r.json()
    assert "assign" in body["allowed_actions"]

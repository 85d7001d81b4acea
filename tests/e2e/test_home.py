"""The front page leads each kind of user to their entrance."""


async def test_front_page_links_to_console_dashboard_and_public_replies(client):
    r = await client.get("/")
    text = await r.text()
    assert r.status == 200
    for href in ('href="/console"', 'href="/dashboard"', 'href="/replies"'):
        assert href in text
    assert "/simulator" not in text  # only the demo has a simulator


async def test_health_and_metrics_answer(client):
    assert (await (await client.get("/healthz")).json())["status"] == "ok"
    metrics = await (await client.get("/metrics")).text()
    assert "jianyi_outbox_pending" in metrics

"""The product in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium, installed by
`make browser`; Playwright never downloads one) against `python run.py serve --demo` started as a
subprocess on a fresh data directory and SQLite file.

Staff sign in, enter a paper proposal and take it to assignment through the console; a phone (a
second browser context, phone-sized) scores a meeting item while the room's screen follows; the
dashboard's figures equal GET /api/v1/stats. Screenshots of the main pages go to docs/screenshots/.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from workflow.domain.links import make_feedback_token

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRET = "browser-test-secret-0123456789"
START_SECONDS = 120
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/126.0 Mobile Safari/537.36"}


@dataclass
class Server:
    url: str
    token: str
    database: Path
    output: list[str] = field(default_factory=list)

    def api(self, path: str) -> dict:
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`run.py serve --demo` on a free port, a fresh SQLite file and data dir, embedded Redis."""
    data = tmp_path_factory.mktemp("browser")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    env.update(JIANYI_DATABASE_URL=f"sqlite+aiosqlite:///{data / 'jianyi.db'}", JIANYI_SERVER_DATA_DIR=str(data),
               JIANYI_REDIS_URL=os.environ.get("JIANYI_REDIS_URL", ""), JIANYI_SERVER_SECRET_KEY=SECRET,
               JIANYI_SERVER_PUBLIC_URL=f"http://127.0.0.1:{port}")
    process = subprocess.Popen([sys.executable, "run.py", "serve", "--demo", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    found = Server(f"http://127.0.0.1:{port}", "", data / "jianyi.db")
    reader = threading.Thread(target=lambda: found.output.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + START_SECONDS
    while not (_answers(found.url) and _token(found.output)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(10)
            reader.join(10)
            process.stdout.close()
            pytest.fail("serve --demo did not start:\n" + "".join(found.output)[-3000:])
        time.sleep(0.2)  # polling for the server to answer, bounded by the deadline above
    found.token = _token(found.output)
    yield found
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    reader.join(10)
    process.stdout.close()


def _token(lines: list[str]) -> str:
    for line in list(lines):
        match = re.search(r"API 令牌（demo，只显示这一次）：(\S+)", line)
        if match:
            return match.group(1)
    return ""


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium and fonts-noto-cjk)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def staff(browser: Browser, server: Server):
    """A staff member's browser (an office PC's screen), signed in as demo/demo12345."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#username", "demo")
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console$"))
    yield page
    context.close()


def shot(page: Page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def open_action(page: Page, action: str) -> None:
    page.click(f"#action-{action} > summary")


# ------------------------------------------------------------------ the console
def test_staff_take_a_paper_proposal_from_submission_to_assignment_in_the_console(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.goto(server.url + "/login")
    shot(page, "login", full_page=False)
    page.fill("#username", "demo")
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("待办事项")
    shot(page, "console-queue")

    page.click("nav >> text=录入建议")
    page.select_option("#lead_deputy", "18001")
    page.fill("#title", "关于在金溪镇中心小学门口增设交通信号灯的建议")
    page.fill("#content", "金溪镇中心小学门口紧邻省道，上下学时段车流量大，学生过马路存在安全隐患。\n"
                          "建议在校门口增设人行横道信号灯和减速带，并在上下学时段安排交警或志愿者值守。")
    page.click("button:text('录入')")
    expect(page.locator(".alert.ok")).to_contain_text("建议已录入")
    expect(page.locator(".tag.state").first).to_have_text("已提交")
    number = page.locator("h1 + p .tag").first.inner_text()

    open_action(page, "accept")
    page.select_option("#accept-category", "城建")
    page.click("#action-accept button[type=submit]")
    expect(page.locator(".tag.state").first).to_have_text("已立案")

    open_action(page, "assign")
    page.fill("#filter-assign", "交通")
    page.check("#picker-assign input[name=lead_units][value=jtj]")
    page.fill("#filter-assign", "金溪")
    page.check("#picker-assign input[name=co_units][value=jxz]")
    page.click("#action-assign button[type=submit]")
    expect(page.locator(".tag.state").first).to_have_text("已交办")
    expect(page.locator("#assignments")).to_contain_text("县交通运输局")
    shot(page, "console-proposal")

    detail = server.api(f"/api/v1/proposals/{number}")
    assert detail["state"] == "assigned"
    assert {(a["unit"], a["role"]) for a in detail["assignments"]} == {("jtj", "lead"), ("jxz", "co")}
    assert {e["actor"]["name"] for e in detail["events"] if e["action"] in ("accept", "assign")} == {"演示工作人员"}

    with context.expect_page() as opened:
        page.click("#assignments a:text('打印交办单（含二维码）')")
    sheet = opened.value
    expect(sheet.locator(".sheet h1")).to_contain_text("交办")
    expect(sheet.locator(".sheet .qr svg")).to_be_visible()
    shot(sheet, "assignment-sheet")
    link = page.locator("#assignments input[id^=link-]").first.input_value()
    unit = context.new_page()
    unit.goto(link)
    expect(unit.locator("body")).to_contain_text("关于在金溪镇中心小学门口增设交通信号灯的建议")
    shot(unit, "unit-link")
    context.close()


# ------------------------------------------------------------------ a meeting, a phone, the screen
def _open_a_meeting_on(staff, key_numbers: list[str]) -> tuple[str, str]:
    """Staff create a meeting, put the key proposals on its agenda, save the first report and open it
    for voting: the room's vote URL and the meeting's path."""
    staff.click("nav >> text=集中评议")
    staff.fill("#title", "衡西县重点督办建议办理情况集中评议会")
    staff.click("button:text('创建会议')")
    expect(staff.locator(".alert.ok")).to_contain_text("会议已创建")
    for number in key_numbers:
        staff.select_option("#proposal", number)
        staff.click("button:text('列入议程')")
        expect(staff.locator("#agenda")).to_contain_text(number)
    first = staff.locator(".agenda-item").first
    first.locator("details.action > summary").click()
    first.locator("textarea[name=report]").fill(
        "一、成立由领办领导任组长的工作专班，三次实地督办；二、主办单位制定了办理方案，年度资金已落实；"
        "三、主体工程年底前完工，明年上半年全面见效，届时再向代表报告。")
    first.locator("button:text('保存汇报')").click()
    expect(staff.locator(".alert.ok")).to_contain_text("汇报已保存")
    staff.locator(".agenda-item").first.locator("button:text('开始评议')").click()
    expect(staff.locator(".alert.ok")).to_contain_text("已开始评议")
    shot(staff, "meeting")
    return staff.locator("#vote-url").input_value(), re.search(r"/meetings/\d+", staff.url).group(0)


def _print_slips(staff, count: int) -> list[str]:
    """Staff print `count` 评分票 (the sheet opens in a new tab, the codes' only showing): each slip's URL."""
    staff.fill("#ballot-count", str(count))
    with staff.expect_popup() as popup:
        staff.click("button:text('生成并打印评分票')")
    sheet = popup.value
    expect(sheet.locator(".slip")).to_have_count(count)
    expect(sheet.locator(".slip svg")).to_have_count(count)
    shot(sheet, "meeting-ballots")
    pdf = sheet.pdf(format="A4", print_background=True)  # what the printer gets: 10 slips an A4 page
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == -(-count // 10)
    base = sheet.locator(".slip-url").first.inner_text()
    codes = [code.replace("-", "") for code in sheet.locator(".slip-code").all_inner_texts()]
    sheet.close()
    return [f"{base}?c={code}" for code in codes]


def test_a_phone_scores_a_meeting_item_and_the_rooms_screen_follows(browser, server, staff):
    key = server.api("/api/v1/proposals?limit=500")["items"]
    key_numbers = [p["number"] for p in key if p["key_supervision"]]
    assert key_numbers, "the demo has key-supervision proposals"
    vote_url, meeting_path = _open_a_meeting_on(staff, key_numbers)
    slips = _print_slips(staff, 12)  # the public scores with printed slips (the default: codes only)
    assert all(slip.startswith(vote_url + "?c=") for slip in slips)

    screen = staff.context.new_page()
    screen.set_viewport_size({"width": 1600, "height": 900})
    screen.goto(server.url + meeting_path + "/screen")
    public_votes = screen.locator(".now [data-v$='.public.votes']")
    expect(public_votes).to_have_text("0")

    phone_context = browser.new_context(**PHONE, locale="zh-CN")
    phone = phone_context.new_page()
    phone.goto(vote_url)  # the room's QR code without a slip: no buttons at a codes-only meeting
    expect(phone.locator(".vote-now")).to_contain_text("凭评分票评分")
    expect(phone.locator("button.vote")).to_have_count(0)
    phone.goto(slips[0])
    expect(phone.locator(".vote-now")).to_contain_text("正在评议")
    shot(phone, "meeting-vote-phone")
    phone.click("button.vote.satisfied")
    expect(phone.locator(".vote-now .ok")).to_contain_text("您已评分：满意")
    phone.go_back()  # a stale page still shows the buttons; the second score is refused
    phone.reload()
    expect(phone.locator("button.vote")).to_have_count(0)

    for slip, rating in zip(slips[1:], ("basically_satisfied", "satisfied", "unsatisfied")):  # more slips in the room
        other = browser.new_context(**PHONE, locale="zh-CN")
        other_page = other.new_page()
        other_page.goto(slip)
        other_page.click(f"button.vote.{rating}")
        expect(other_page.locator(".vote-now .ok")).to_be_visible()
        other.close()

    expect(public_votes).to_have_text("4", timeout=15000)  # the screen polls its JSON and updates itself
    expect(screen.locator(".now [data-rate$='.public']")).to_have_text("75.0%")
    shot(screen, "meeting-screen", full_page=False)
    phone_context.close()

    staff.reload()
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.locator(".agenda-item").first.locator("button:text('结束评议')").click()
    expect(staff.locator(".alert.ok")).to_contain_text("已结束评议")
    year = server.api("/api/v1/proposals?limit=1")["items"][0]["year"]
    figures = server.api(f"/api/v1/stats?year={year}")["meeting_satisfaction"]
    assert figures["public"]["votes"] == 4 and figures["public"]["satisfaction_rate"] == 0.75


# ------------------------------------------------------------------ the dashboard against the API
def test_dashboard_figures_equal_the_api_stats(server, staff):
    year = server.api("/api/v1/proposals?limit=1")["items"][0]["year"]
    stats = server.api(f"/api/v1/stats?year={year}")
    staff.goto(f"{server.url}/dashboard?year={year}")
    shown = staff.eval_on_selector_all(
        "[data-scope=overall] [data-figure]", "els => els.map(e => [e.dataset.figure, e.dataset.value])")
    assert len(shown) >= 8
    for figure, value in shown:
        expected = stats[figure]
        if expected is None:
            assert value == "", figure
        elif isinstance(expected, float):
            assert abs(float(value) - expected) < 1e-9, figure
        else:
            assert int(value) == expected, figure
    assert {"assigned", "replied", "reply_rate", "dual_satisfaction_rate", "overdue"} <= {f for f, _ in shown}
    for kind, group in (("deputy", "deputies"), ("public", "public")):  # 集中评议 (the meeting test, run before, closed an item)
        value = staff.get_attribute(f"[data-scope='meeting:{kind}'] [data-figure=satisfaction_rate]", "data-value")
        expected = stats["meeting_satisfaction"][group]["satisfaction_rate"]
        assert (value == "") if expected is None else abs(float(value) - expected) < 1e-4, kind
    shot(staff, "dashboard")


# ------------------------------------------------------------------ the deputy's and the demo's pages
def test_deputy_feedback_page_and_simulator_render(browser, server):
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        proposal_id, deputy = db.execute(
            "SELECT p.id, d.number FROM proposals p JOIN deputies d ON d.id = p.lead_deputy_id "
            "WHERE p.state = 'replied' ORDER BY p.id LIMIT 1").fetchone()
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.url}/f/{make_feedback_token(SECRET, proposal_id, deputy, 30)}")
    expect(page.locator("body")).to_contain_text("您对答复满意吗")
    shot(page, "deputy-feedback")
    page.goto(server.url + "/simulator")
    page.select_option("#deputy", index=1)
    page.click("#bind")
    expect(page.locator("#chat")).to_contain_text("绑定成功", timeout=15000)
    page.click(".menu button[data-key]:first-child")
    expect(page.locator("#chat .bot")).to_have_count(2, timeout=15000)
    page.fill("#text", "放弃")
    page.press("#text", "Enter")
    expect(page.locator("#chat .bot")).to_have_count(3, timeout=15000)
    # The one-message form, several lines typed with Shift+Enter, sent with Enter.
    page.fill("#text", "")
    page.type("#text", "提建议")
    for line in ("标题：关于增设公交站台的建议", "内容：城关镇新区居民出行不便，建议增设两个公交站台。"):
        page.press("#text", "Shift+Enter")
        page.type("#text", line)
    page.press("#text", "Enter")
    expect(page.locator("#chat .me").last).to_contain_text("内容：城关镇新区居民出行不便")
    expect(page.locator("#chat .bot").last).to_contain_text("关于增设公交站台的建议", timeout=15000)
    shot(page, "simulator")
    context.close()

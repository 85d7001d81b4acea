"""Only web addresses are kept as photo URLs (issue 9, item 10): a javascript: or data: "URL" sent as a
photo is never stored or linked."""
from __future__ import annotations

import pytest

from workflow.domain.params import web_url


@pytest.mark.parametrize("url", ["https://mmbiz.qpic.cn/roof.jpg", "http://mmbiz.qpic.cn/a?b=1", " https://x.cn/a "])
def test_a_web_address_is_kept(url):
    assert web_url(url) == url.strip()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "//evil.example/a.jpg",
                                 "https://x.cn/a b", "https://x.cn/\nx", "ftp://x.cn/a", "", None])
def test_anything_else_is_dropped(url):
    assert web_url(url) == ""

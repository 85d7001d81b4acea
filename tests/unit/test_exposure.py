"""Secure by default: the shipped secrets work on this computer only (DESIGN §5; issue 9, item 1)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from workflow.settings import SHIPPED_SECRETS, exposure_problems, is_loopback, load_settings, new_secret

STRONG = "A" * 16 + "b" * 16


def _settings(secret_key: str = SHIPPED_SECRETS["server.secret_key"], token: str = SHIPPED_SECRETS["wechat.token"],
              public_url: str = "http://127.0.0.1:8080"):
    base = load_settings(environ={})
    return replace(base, server=replace(base.server, secret_key=secret_key, public_url=public_url),
                   wechat=replace(base.wechat, token=token))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_the_shipped_secrets_may_serve_this_computer(host):
    assert is_loopback(host)
    assert exposure_problems(_settings(), host) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "jianyi.example.gov.cn", ""])
def test_the_shipped_secrets_are_refused_on_an_address_others_reach(host):
    problems = exposure_problems(_settings(), host)
    assert len(problems) == 2
    assert "server.secret_key" in problems[0] and "wechat.token" in problems[1]
    assert all("python run.py secret" in p and "默认值" in p and "shipped default" in p for p in problems)


def test_an_https_public_url_counts_as_public_even_behind_a_local_proxy():
    assert len(exposure_problems(_settings(public_url="https://jianyi.example.gov.cn"), "127.0.0.1")) == 2


@pytest.mark.parametrize("weak", ["dev-" + "x" * 40, "x" * 31, ""])
def test_a_short_or_dev_secret_is_refused_like_the_shipped_one(weak):
    problems = exposure_problems(_settings(secret_key=weak, token=STRONG), "0.0.0.0")
    assert len(problems) == 1 and "server.secret_key" in problems[0]


def test_strong_secrets_may_serve_any_address():
    assert exposure_problems(_settings(secret_key=STRONG, token=new_secret()), "0.0.0.0") == []


def test_a_new_secret_is_32_letters_or_digits_and_never_repeats():
    made = {new_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(len(s) == 32 and s.isascii() and s.isalnum() for s in made)

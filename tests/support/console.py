"""Steps the console tests repeat: signing in through the /login form (with the page's CSRF token),
reading the CSRF token of a page, posting console forms."""
from __future__ import annotations

import re
from typing import Optional

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
PASSWORD = "correct-horse-9"


async def csrf_of(client, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, (path, response.status)
    match = CSRF.search(await response.text())
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def login(client, username: str, password: str = PASSWORD, next_path: str = ""):
    """Sign in as a browser does: GET the form, POST it with its token. Returns the POST's response."""
    token = await csrf_of(client, "/login")
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                             "next": next_path}, allow_redirects=False)


async def signed_in(client, username: str, password: str = PASSWORD) -> None:
    response = await login(client, username, password)
    assert response.status == 303, await response.text()


def sign_out_locally(client) -> None:
    """Forget the session cookie (a second person at another browser)."""
    client.session.cookie_jar.clear()


async def post_form(client, path: str, data: dict, token_from: Optional[str] = None, token: Optional[str] = None):
    """POST a console form with the CSRF token read from `token_from` (default: the same path)."""
    if token is None:
        token = await csrf_of(client, token_from or path)
    return await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)

"""The WeChat bot: deputies bind, draft, consult, submit, follow and rate by chatting.

    from bot.routes import setup
    setup(app, settings, engine)   # adds GET/POST /wechat to an aiohttp app

webhook.py speaks WeChat's protocol; conversation.py answers one delivery (group_commit.py lets the
messages that arrive together share a transaction); dialogue.py is the guided drafting as a pure step
function over the vocabulary of steps.py; commands.py maps words and menu keys to workflow services;
texts.py holds every text shown; menu.py pushes the custom menu; routes.py adds the webhook to the app.
This file stays empty of code, so that importing the pure bot.dialogue loads no framework.
"""

"""The words this county uses for its own bodies (settings [names]): set once at start, like the clock.

代表工委 / 选联工委 / 联工委 for the office that handles proposals, the committee's name, 协办 / 会办 for a
unit that helps the lead unit. Every message and page that names them reads them here.
"""
from __future__ import annotations

from workflow.domain.definition import ROLES
from workflow.settings import NameSettings

_names = NameSettings()


def configure(names: NameSettings) -> None:
    """Use `names` from now on (run.py and the web app call it with the settings' [names])."""
    global _names
    _names = names
    ROLES["co"] = names.co_unit  # the role's label everywhere it is shown


def names() -> NameSettings:
    return _names


def staff_body() -> str:
    """The committee's office that handles proposals (代表工委), as people are told to contact it."""
    return _names.staff_body


def co_unit() -> str:
    return _names.co_unit

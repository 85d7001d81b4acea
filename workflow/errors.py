"""The errors a caller of the workflow may see, in one vocabulary: the domain's refusals
(workflow/domain/errors.py: InvalidInput, NotFound, Forbidden, NotAllowed) and storage's `Conflict`
(someone else wrote the same rows at the same moment, storage/uow.py). Front ends catch
`USER_ERRORS` and map each to one HTTP status and one chat answer; all carry `code`, `status`,
`message` (Chinese, for people) and `details`.
"""
from __future__ import annotations

from storage.uow import Conflict
from workflow.domain.errors import Forbidden, InvalidInput, NotAllowed, NotFound, WorkflowError

USER_ERRORS: tuple[type[Exception], ...] = (WorkflowError, Conflict)

__all__ = ["USER_ERRORS", "Conflict", "Forbidden", "InvalidInput", "NotAllowed", "NotFound", "WorkflowError"]

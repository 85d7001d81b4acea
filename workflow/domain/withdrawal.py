"""The rules of a withdrawal (撤回) and of who is a 联名代表: guards (confirmed explicitly, not asked twice,
answered once by each confirmed co-signer when the settings ask for their consent) and the conditions that
pick the destination, which rules.Context inherits (the machine calls them on it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from workflow.domain.errors import Refusal

if TYPE_CHECKING:
    from workflow.domain.rules import Context


class WithdrawalConditions:
    """Conditions of the proposal table, mixed into rules.Context (`proposal`, `withdraw_needs_consent`)."""

    def confirmed_co_signers(self) -> list:
        """Only confirmed co-signers are 联名代表: printed, answered, and asked about a withdrawal."""
        return [c for c in self.proposal.co_signers if c.confirmed_at is not None]

    def withdrawal_needs_consent(self) -> bool:
        return self.withdraw_needs_consent and bool(self.confirmed_co_signers())

    def all_co_signers_consented(self) -> bool:
        return all(c.withdrawal_consent_at is not None for c in self.confirmed_co_signers())


def withdrawal_confirmed(ctx: Context) -> Optional[str]:
    """A withdrawal is confirmed explicitly (the bot asks 确认撤回？, the form has a box, the API `confirm: true`)."""
    if ctx.params.get("confirm") is not True:
        return Refusal("撤回建议须经确认：请勾选“确认撤回这件建议”（接口请传 confirm: true）。", "confirm")
    return None


def withdrawal_not_requested(ctx: Context) -> Optional[str]:
    if getattr(ctx.proposal, "withdrawal_requested_at", None) is not None:
        return "撤回申请已经提出，正在等待联名代表同意。"
    return None


def awaits_withdrawal_consent(ctx: Context) -> Optional[str]:
    """A confirmed co-signer answers a pending withdrawal request once."""
    if getattr(ctx.proposal, "withdrawal_requested_at", None) is None:
        return "这件建议没有待联名代表同意的撤回申请。"
    number = ctx.actor.effective_id if ctx.actor else ""
    mine = next((c for c in ctx.proposal.co_signers if c.deputy.number == number), None)
    if mine is None:
        return "您不是本建议的联名代表。"
    if mine.confirmed_at is None:
        return "您尚未确认联名，撤回无需征得您的同意。"
    if mine.withdrawal_consent_at is not None:
        return "您已同意撤回，正在等待其他联名代表。"
    return None

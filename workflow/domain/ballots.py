"""评分码 (one-time ballot codes) and the open mode of a 集中评议 meeting's public vote: the rules, pure.

How the public scores at a meeting is the meeting's own setting (`PUBLIC_MODES`):
- `codes` (仅凭评分码, the default of a new meeting): the public scores only with a printed slip whose
  code scores each item once. This is what a county expects of a result that goes on the proposal's
  record: the 测评票 handed out at the door, on a phone instead of paper.
- `codes_open` (评分码与开放扫码): the slips, and also anyone who scans the room's QR code, at most
  `open_limit` scores per item from one network address (a household, a venue's shared Wi-Fi).
Deputies bound in WeChat always score by their openid, in either mode. Every score records which way it
came (`VOTE_MODES`), so staff read the results per mode.

A code is 12 symbols of a 32-symbol alphabet without 0/O and 1/I (60 random bits), shown as
`ABCD-EFGH-JKLM`. The database keeps only a keyed hash of it (`code_key`, HMAC with the server's
secret): a copy of the database does not give the codes, and a forged code is simply unknown.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from typing import Optional

from workflow.domain.errors import Forbidden, InvalidInput, NotAllowed, WorkflowError

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
RAW_MAX = 40  # longest text read as a code (spaces and dashes included); longer is junk
BATCH_MAX = 500  # codes printed in one go
MEETING_MAX = 5000  # codes of one meeting, all batches
SLIPS_PER_PAGE = 10  # on an A4 sheet: 2 columns of 5

PUBLIC_MODES = {"codes": "仅凭评分码（推荐）", "codes_open": "评分码与开放扫码"}
DEFAULT_PUBLIC_MODE = "codes"
OPEN_LIMIT_DEFAULT = 5
OPEN_LIMIT_MAX = 500
VOTE_MODES = {"openid": "代表（微信识别）", "code": "群众（评分码）", "open": "群众（开放扫码）"}
SERIALS_MAX = 200  # characters of a "编号" list typed by staff
# Who a batch of codes is for: the public, or (at a 测评 round only) 常委会组成人员, counted apart.
BALLOT_KINDS = {"public": "群众", "member": "常委会组成人员"}

_SEPARATORS = re.compile(r"[\s\-_.·—]+")


class TooManyVotes(WorkflowError):
    """The open mode's limit per network address is reached (HTTP 429)."""

    code = "too_many_votes"
    status = 429


# ------------------------------------------------------------------ the codes
def code_from_bytes(raw: bytes) -> str:
    """A code from (at least 8) random bytes: 60 bits, 5 per symbol."""
    number = int.from_bytes(raw[:8], "big")
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """ABCD-EFGH-JKLM: how a code is printed and read out."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def read_code(raw: Optional[str]) -> str:
    """A code as typed or scanned (any case, spaces and dashes allowed); InvalidInput for anything else."""
    if raw is None or len(raw) > RAW_MAX:
        raise InvalidInput("评分码格式不对：评分码是评分票上的 12 位字母和数字。", field="code")
    code = _SEPARATORS.sub("", raw).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise InvalidInput("评分码格式不对：评分码是评分票上的 12 位字母和数字（不含 0、O、1、I）。", field="code")
    return code


def code_key(secret: str, code: str) -> str:
    """The keyed hash the database keeps of a code (never the code)."""
    return hmac.new(secret.encode(), f"meeting-ballot:{code}".encode(), hashlib.sha256).hexdigest()


def address_bucket(address: str) -> str:
    """What counts as one network address for the open mode's limit: an IPv4 address, or an IPv6 /64
    (one household or phone is given a whole /64 and could otherwise take a new address per score)."""
    text = (address or "").strip()[:100]
    try:
        parsed = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text or "-"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def address_key(secret: str, address: str) -> str:
    """The keyed hash kept of a client's network address for the open mode's limit (never the address)."""
    return hmac.new(secret.encode(), f"meeting-address:{address_bucket(address)}".encode(),
                    hashlib.sha256).hexdigest()


def check_count(count: Optional[int], existing: int) -> int:
    """How many codes to print now: 1 to BATCH_MAX, at most MEETING_MAX for the meeting."""
    if count is None or not 1 <= count <= BATCH_MAX:
        raise InvalidInput(f"每次可生成 1 至 {BATCH_MAX} 张评分票。", field="count")
    if existing + count > MEETING_MAX:
        raise InvalidInput(f"一次会议最多 {MEETING_MAX} 张评分票，已生成 {existing} 张。", field="count")
    return count


def check_ballot_kind(kind: Optional[str], round_kind: str) -> str:
    """A batch's kind: the public's, or 常委会组成人员's, which only a 测评 round has."""
    kind = kind or "public"
    if kind not in BALLOT_KINDS:
        raise InvalidInput("请选择评分票类别：群众或常委会组成人员。", field="kind")
    if kind == "member" and not round_kind:
        raise InvalidInput("常委会组成人员评分票只用于民生实事项目测评；集中评议只发群众评分票。", field="kind")
    return kind


def parse_serials(text: Optional[str], highest: int) -> set[int]:
    """The slip numbers staff typed to void ("21-30, 35", "、" and "，" too), each within 1..highest."""
    text = (text or "").strip()
    if not text or len(text) > SERIALS_MAX:
        raise InvalidInput(f"请填写要作废的评分票编号，例如 21-30, 35（不超过 {SERIALS_MAX} 个字）。", field="serials")
    found: set[int] = set()
    for part in re.split(r"[,，、;；\s]+", text):
        if not part:
            continue
        match = re.fullmatch(r"0*([0-9]{1,5})(?:[-~～至到]0*([0-9]{1,5}))?", part)
        if match is None:
            raise InvalidInput(f"看不懂编号“{part[:20]}”：请写成 21-30, 35 这样。", field="serials")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 1 <= low <= high <= highest:
            raise InvalidInput(f"编号“{part[:20]}”不在本次会议的评分票范围（1-{highest}）内。", field="serials")
        found.update(range(low, high + 1))
    if not found:
        raise InvalidInput("请填写要作废的评分票编号。", field="serials")
    return found


# ------------------------------------------------------------------ the public's modes
def clean_public_mode(mode: Optional[str], open_limit: Optional[int]) -> tuple[str, int]:
    """A meeting's public mode and open-mode limit, as chosen on the console."""
    if mode not in PUBLIC_MODES:
        raise InvalidInput("请选择群众评分方式。", field="public_mode")
    if open_limit is None or not 1 <= open_limit <= OPEN_LIMIT_MAX:
        raise InvalidInput(f"每个网络地址每项最多票数应为 1 至 {OPEN_LIMIT_MAX}。", field="open_limit")
    return mode, open_limit


def check_ballot(found: bool, voided: bool) -> None:
    """A code scores only if it was printed for this meeting and not voided since."""
    if not found:
        raise Forbidden("评分码无效：请核对评分票上的评分码，或重新扫描评分票上的二维码。没有记录评分。")
    if voided:
        raise Forbidden("这张评分票已作废，不能评分。如有疑问请联系会务工作人员。没有记录评分。")


def check_ballot_unused(used: bool) -> None:
    if used:
        raise NotAllowed("这张评分票已经为这一项评过分了，每张评分票每项只能评一次，原来的评分保持不变。")


def check_open_mode(mode: str) -> None:
    """Without a code, the public scores only where the meeting accepts the open mode."""
    if mode != "codes_open":
        raise Forbidden("本次会议群众凭评分票评分：请扫描您领到的评分票上的二维码，或在本页输入评分票上的评分码。"
                        "没有记录评分。")


def check_open_quota(used_from_address: int, limit: int) -> None:
    """At most `limit` open-mode scores per item from one network address."""
    if used_from_address >= limit:
        raise TooManyVotes(f"同一网络已为这一项提交了 {limit} 个开放扫码评分，达到本次会议的上限，没有记录评分。"
                           "如您在会场，请向工作人员领取评分票后扫码评分。")


def vote_mode(deputy: bool, ballot: bool) -> str:
    """How a score came: a deputy recognised in WeChat, a ballot code, or the open mode."""
    return "openid" if deputy else ("code" if ballot else "open")

"""The guided conversation that drafts a proposal, as a pure step function over the stored dialogue.

    step(dialogue, said, facts) -> Step(dialogue, reply, intent)

`dialogue` is what is kept between messages (a state and the fields gathered so far); `said` is one
input: a text, a photo, or the outcome (Done / Failed) of the intent the previous step asked for;
`facts` are what the runner looked up for this input (the draft as stored, roster matches for names;
`needs()` says which). An intent (CreateDraft, Revise, Consult, Submit, Attach, Resume) is work for
the workflow engine: the runner performs it and feeds the outcome back in. Nothing here does I/O,
and nothing here decides a rule of the workflow: the engine refuses what is not allowed.

    提建议 -> title -> content -> category -> co-signers (-> pick one of several with the same name)
           -> CreateDraft -> review -> 确认提交 (Submit) | 申请沟通 -> question (Consult)
                                     | 修改标题/内容/类别 (Revise) | 放弃 -> abandon?
"""
from __future__ import annotations

import re
from typing import Optional, Union

from workflow.domain.cosigners import resolve_co_signers, split_names

from . import texts as T
from .quick_form import PROPOSE, is_form, parse_form

# The vocabulary of steps.py, re-exported for the runner.
from .steps import (  # noqa: F401
    IDLE,
    Attach,
    Consult,
    CreateDraft,
    Dialogue,
    Done,
    Facts,
    Failed,
    Intent,
    Needs,
    Photo,
    Resume,
    Revise,
    Said,
    Step,
    Submit,
    Text,
)

TITLE, CONTENT, CATEGORY, COSIGNERS, PICK = "title", "content", "category", "cosigners", "pick"
REVIEW, EDIT_TITLE, EDIT_CONTENT, EDIT_CATEGORY = "review", "edit_title", "edit_content", "edit_category"
QUESTION, ABANDON, CHOOSE = "question", "abandon", "choose"
WRITING = (TITLE, CONTENT, CATEGORY, COSIGNERS, PICK)  # before the draft exists in the workflow
TITLE_MAX, CONTENT_MAX, MAX_PHOTOS = 200, 20000, 9
CONTINUED_CONTENT = 10  # a longer text where a category is asked for continues the content

SUBMIT_WORDS = {"确认提交", "提交", "确认"}
ABANDON_WORDS = {"放弃", "取消", "不写了"}
VIEW_WORDS = {"查看", "预览", "查看草稿"}
YES_WORDS = {"确定", "是", "是的", "确认", "好", "放弃"}
SKIP_WORDS = {"跳过", "不确定", "不知道"}
_RESUME = re.compile(r"^继续\s*(d\d{1,12}|\d{4}-\d{1,6})?$")
_EDIT = re.compile(r"^修改\s*(标题|内容|类别)\s*[：:]?\s*(.*)$", re.S)


# ---------------------------------------------------------------- what to look up
def needs(d: Dialogue, said: Said) -> Needs:
    has_ref = bool(d.data.get("ref"))
    if not isinstance(said, Text):
        return Needs(draft=has_ref)
    text, word = said.text, _word(said.text)
    names: tuple[str, ...] = ()
    if text.startswith(PROPOSE) and is_form(text):
        names = tuple(_names((parse_form(text) or {}).get("co_signers", "")))
    elif d.state == COSIGNERS and not _is_word(word):
        names = tuple(_names(text))
    bare_propose = word == PROPOSE
    wants_drafts = not has_ref and (bare_propose or word in SUBMIT_WORDS or word == "继续")
    return Needs(draft=has_ref, names=names, open_drafts=wants_drafts)


# ---------------------------------------------------------------- the step
def step(d: Dialogue, said: Said, facts: Facts) -> Step:
    if isinstance(said, (Done, Failed)):
        return _outcome(d, said, facts)
    if d.data.get("ref") and d.state not in (IDLE, CHOOSE) and not (facts.draft and facts.draft.editable):
        return Step(Dialogue(), T.draft_gone(facts.draft))  # submitted or closed elsewhere (console, API)
    if isinstance(said, Photo):
        return _photo(d, said, facts)
    text, word = said.text.strip(), _word(said.text)
    if word == PROPOSE or (text.startswith(PROPOSE) and (d.state == IDLE or is_form(text))):
        return _propose(d, text, facts)
    if word in SUBMIT_WORDS and d.state not in (ABANDON, CHOOSE):
        return _submit(d, facts)
    if word in ABANDON_WORDS and d.state not in (IDLE, ABANDON):
        what = f"草稿 {d.data['ref']}" if d.data.get("ref") else "正在写的建议"
        return Step(Dialogue(ABANDON, {**d.data, "back": d.state}), T.ask_abandon(what))
    if (match := _RESUME.match(word)) and d.state not in (CHOOSE, ABANDON):
        return _resume(d, match.group(1), facts)
    if word in VIEW_WORDS and d.data.get("ref"):
        return Step(d, T.review(facts.draft))
    return _BY_STATE.get(d.state, _idle)(d, text, facts)


def _is_word(word: str) -> bool:
    """A word the dialogue answers in any state (so it is never a co-signer's name)."""
    return (word in SUBMIT_WORDS or word in ABANDON_WORDS or word in VIEW_WORDS or word in T.NONE_WORDS
            or word == PROPOSE or _RESUME.match(word) is not None)


def _word(text: str) -> str:
    return text.strip().strip("。.！!～~ ").replace("\u3000", " ")


def _idle(d: Dialogue, text: str, facts: Facts) -> Step:
    return Step(Dialogue(), T.UNKNOWN)


def prompt(d: Dialogue, facts: Facts) -> str:
    """What the deputy is asked for in state `d` (after a detour)."""
    if d.state in (REVIEW, EDIT_TITLE, EDIT_CONTENT, EDIT_CATEGORY, QUESTION) and facts.draft is not None:
        return T.review(facts.draft)
    if d.state == PICK and d.data.get("pending"):
        first = d.data["pending"][0]
        return T.pick_one(first["token"], first["choices"])
    return {TITLE: T.ASK_TITLE, CONTENT: T.ASK_CONTENT, CATEGORY: T.ask_category(facts.categories),
            COSIGNERS: T.ASK_COSIGNERS}.get(d.state, T.UNKNOWN)


# ---------------------------------------------------------------- starting
def _propose(d: Dialogue, text: str, facts: Facts) -> Step:
    form = parse_form(text)
    if form is not None:
        return _form(d, form, facts)
    if d.state != IDLE and (d.state in WRITING or d.data.get("ref")):
        back = d.state if d.state not in (ABANDON, CHOOSE) else d.data.get("back", TITLE)
        what = f"《{T.clip(d.data.get('title') or (facts.draft.title if facts.draft else ''), 30)}》"
        return Step(Dialogue(CHOOSE, {**d.data, "back": back}), T.choose(what if len(what) > 2 else ""))
    if facts.open_drafts:
        newest = facts.open_drafts[0]
        return Step(Dialogue(CHOOSE, {"ref": newest.ref, "back": REVIEW}),
                    T.choose(f" {newest.ref}《{T.clip(newest.title, 30)}》"))
    return Step(Dialogue(TITLE, {}), T.ASK_TITLE)


def _form(d: Dialogue, form: dict[str, str], facts: Facts) -> Step:
    title, content = form.get("title", ""), form.get("content", "")
    if not title or not content:
        return Step(d, T.form_incomplete())
    problem = _too_long(title, content)
    if problem:
        return Step(d, problem)
    category = _category(form.get("category", ""), facts.categories) if form.get("category") else ""
    if category is None:
        return Step(d, T.bad_category(facts.categories))
    data = {"title": title, "content": content, "category": category, "co_signers": []}
    return _cosigners(Dialogue(COSIGNERS, data), form.get("co_signers", ""), facts)


def _too_long(title: str, content: str) -> Optional[str]:
    if len(title) > TITLE_MAX:
        return T.too_long("标题", TITLE_MAX)
    if len(content) > CONTENT_MAX:
        return T.too_long("内容", CONTENT_MAX)
    return None


# ---------------------------------------------------------------- writing, step by step
def _title(d: Dialogue, text: str, facts: Facts) -> Step:
    if not text:
        return Step(d, T.TITLE_EMPTY)
    if len(text) > TITLE_MAX:
        return Step(d, T.too_long("标题", TITLE_MAX))
    return Step(Dialogue(CONTENT, {**d.data, "title": text}), T.ASK_CONTENT)


def _content(d: Dialogue, text: str, facts: Facts) -> Step:
    if not text:
        return Step(d, T.CONTENT_EMPTY)
    if len(text) > CONTENT_MAX:
        return Step(d, T.too_long("内容", CONTENT_MAX))
    return Step(Dialogue(CATEGORY, {**d.data, "content": text}), T.ask_category(facts.categories))


def _category(text: str, categories: tuple[str, ...]) -> Optional[str]:
    """The category picked by number or name; "" when skipped; None when not understood."""
    word = _word(text)
    if word in SKIP_WORDS:
        return ""
    if word.isdigit() and 1 <= int(word) <= len(categories):
        return categories[int(word) - 1]
    return word if word in categories else None


def _pick_category(d: Dialogue, text: str, facts: Facts) -> Step:
    category = _category(text, facts.categories)
    if category is None and len(text) > CONTINUED_CONTENT:  # a long content arrives as several messages
        content = d.data.get("content", "") + "\n" + text
        if len(content) > CONTENT_MAX:
            return Step(d, T.too_long("内容", CONTENT_MAX))
        return Step(Dialogue(CATEGORY, {**d.data, "content": content}), T.content_added(facts.categories))
    if category is None:
        return Step(d, T.bad_category(facts.categories))
    return Step(Dialogue(COSIGNERS, {**d.data, "category": category, "co_signers": []}), T.ASK_COSIGNERS)


def _names(text: str) -> list[str]:
    return split_names(text)


def _cosigners(d: Dialogue, text: str, facts: Facts) -> Step:
    """Resolve the names or numbers typed (workflow.domain.cosigners, as the console does); ask back for
    unknown or ambiguous ones; create when all are known."""
    names = [] if _word(text) in T.NONE_WORDS else _names(text)
    found = resolve_co_signers(names, facts.roster, facts.me)
    if found.missing:
        return Step(d, T.names_not_found(found.missing))
    chosen = [list(c) for c in d.data.get("co_signers", [])] + [list(c) for c in found.chosen]
    pending = [{"token": a.token, "choices": [[p.number, p.name, p.delegation] for p in a.candidates]}
               for a in found.ambiguous]
    note = T.SELF_COSIGN if found.named_self else ""
    data = {**d.data, "co_signers": _unique(chosen)}
    if pending:
        first = pending[0]
        return Step(Dialogue(PICK, {**data, "pending": pending}), note + T.pick_one(first["token"], first["choices"]))
    return _create(Dialogue(COSIGNERS, data))


def _pick(d: Dialogue, text: str, facts: Facts) -> Step:
    pending = list(d.data.get("pending", []))
    if not pending:
        return _create(Dialogue(COSIGNERS, d.data))
    first, word = pending[0], _word(text)
    if not word.isdigit() or not 0 <= int(word) <= len(first["choices"]):
        return Step(d, T.pick_one(first["token"], first["choices"]))
    chosen = [list(c) for c in d.data.get("co_signers", [])]
    if int(word) > 0:
        number, name, _ = first["choices"][int(word) - 1]
        if number != facts.me:
            chosen.append([number, name])
    data = {**d.data, "co_signers": _unique(chosen), "pending": pending[1:]}
    if pending[1:]:
        return Step(Dialogue(PICK, data), T.pick_one(pending[1]["token"], pending[1]["choices"]))
    data.pop("pending")
    return _create(Dialogue(COSIGNERS, data))


def _unique(pairs: list[list[str]]) -> list[list[str]]:
    seen, out = set(), []
    for number, name in pairs:
        if number not in seen:
            seen.add(number)
            out.append([number, name])
    return out


def _create(d: Dialogue) -> Step:
    data = d.data
    intent = CreateDraft(data["title"], data["content"], data.get("category", ""),
                         tuple(number for number, _ in data.get("co_signers", [])), tuple(data.get("photos", [])))
    return Step(d, "", intent)


# ---------------------------------------------------------------- a draft in the workflow
def _review(d: Dialogue, text: str, facts: Facts) -> Step:
    ref, word = d.data["ref"], _word(text)
    if word in ("申请沟通", "沟通", "提出前沟通", "征求意见"):
        return Step(Dialogue(QUESTION, d.data), T.ASK_QUESTION)
    match = _EDIT.match(text)
    if match:
        what, value = match.group(1), match.group(2).strip()
        if value:
            return _edit({"标题": EDIT_TITLE, "内容": EDIT_CONTENT, "类别": EDIT_CATEGORY}[what], d, value, facts)
        state, ask = {"标题": (EDIT_TITLE, "请发送新的标题。"), "内容": (EDIT_CONTENT, "请发送新的内容（将替换原内容）。"),
                      "类别": (EDIT_CATEGORY, T.ask_category(facts.categories))}[what]
        return Step(Dialogue(state, d.data), ask)
    return Step(Dialogue(REVIEW, {"ref": ref}), T.review(facts.draft))


def _edit(state: str, d: Dialogue, text: str, facts: Facts) -> Step:
    ref = d.data["ref"]
    if state == EDIT_CATEGORY:
        category = _category(text, facts.categories)
        if category is None:
            return Step(Dialogue(EDIT_CATEGORY, d.data), T.bad_category(facts.categories))
        return Step(Dialogue(REVIEW, {"ref": ref}), "", Revise(ref, {"category": category}))
    name, label, limit = ("title", "标题", TITLE_MAX) if state == EDIT_TITLE else ("content", "内容", CONTENT_MAX)
    if not text:
        return Step(Dialogue(state, d.data), T.TITLE_EMPTY if name == "title" else T.CONTENT_EMPTY)
    if len(text) > limit:
        return Step(Dialogue(state, d.data), T.too_long(label, limit))
    return Step(Dialogue(REVIEW, {"ref": ref}), "", Revise(ref, {name: text}))


def _question(d: Dialogue, text: str, facts: Facts) -> Step:
    question = "" if _word(text) in T.NONE_WORDS else text
    return Step(Dialogue(REVIEW, {"ref": d.data["ref"]}), "", Consult(d.data["ref"], question[:2000]))


def _abandon(d: Dialogue, text: str, facts: Facts) -> Step:
    back = Dialogue(d.data.get("back", IDLE), {k: v for k, v in d.data.items() if k != "back"})
    if _word(text) in YES_WORDS:
        return Step(Dialogue(), T.abandoned(d.data.get("ref")))
    return Step(back, T.ABANDON_CANCELLED + "\n" + prompt(back, facts))


def _choose(d: Dialogue, text: str, facts: Facts) -> Step:
    word = _word(text)
    back = Dialogue(d.data.get("back", IDLE), {k: v for k, v in d.data.items() if k != "back"})
    if word == "继续":
        if back.data.get("ref"):
            return Step(Dialogue(REVIEW, {"ref": back.data["ref"]}), "", Resume(back.data["ref"]))
        return Step(back, prompt(back, facts))
    if word in ("新建", "新的", "重新开始"):
        return Step(Dialogue(TITLE, {}), T.ASK_TITLE)
    return Step(d, T.choose(""))


def _resume(d: Dialogue, ref: Optional[str], facts: Facts) -> Step:
    if ref:
        return Step(d, "", Resume(ref))
    if d.data.get("ref"):
        return Step(Dialogue(REVIEW, {"ref": d.data["ref"]}), T.review(facts.draft))
    if d.state in WRITING:
        return Step(d, prompt(d, facts))
    if facts.open_drafts:
        return Step(d, "", Resume(facts.open_drafts[0].ref))
    return Step(Dialogue(), T.NO_OPEN_DRAFT)


# ---------------------------------------------------------------- submitting, photos
def _submit(d: Dialogue, facts: Facts) -> Step:
    if d.data.get("ref"):
        return Step(d, "", Submit(d.data["ref"]))
    if d.state in WRITING:
        return Step(d, T.NOT_FINISHED + "\n" + prompt(d, facts))
    if facts.open_drafts:  # put aside (放弃) earlier: submitted only once the deputy picks it up again
        return Step(d, T.which_draft(facts.open_drafts))
    return Step(d, T.NO_DRAFT)


def _photo(d: Dialogue, photo: Photo, facts: Facts) -> Step:
    if d.state == CHOOSE:  # which draft it belongs to is not decided yet
        return Step(d, T.choose(""))
    if d.data.get("ref"):
        return Step(d, "", Attach(d.data["ref"], photo))
    if d.state not in WRITING:
        return Step(d, T.PHOTO_OUTSIDE)
    photos = list(d.data.get("photos", []))
    if len(photos) >= MAX_PHOTOS:
        return Step(d, T.TOO_MANY_PHOTOS)
    photos.append({"media_id": photo.media_id, "url": photo.url, "msg_id": photo.msg_id})
    new = Dialogue(d.state, {**d.data, "photos": photos})
    return Step(new, T.photo_kept(len(photos)) + "\n" + prompt(new, facts))


# ---------------------------------------------------------------- what the engine said
def _outcome(d: Dialogue, said: Union[Done, Failed], facts: Facts) -> Step:
    intent = said.intent
    if isinstance(said, Failed):
        if isinstance(intent, CreateDraft):
            return Step(Dialogue(COSIGNERS, {**d.data, "co_signers": []}), said.message + "\n" + T.ASK_COSIGNERS)
        return Step(d, said.message)
    if isinstance(intent, CreateDraft):
        return Step(Dialogue(REVIEW, {"ref": said.result["ref"]}), T.draft_created(facts.draft))
    if isinstance(intent, Submit):
        return Step(Dialogue(), T.submitted(said.result["number"], said.result.get("title", ""), facts.draft,
                                            said.result.get("official", "")))
    if isinstance(intent, Revise):
        return Step(Dialogue(REVIEW, {"ref": intent.ref}), T.revised(facts.draft))
    if isinstance(intent, Consult):
        return Step(Dialogue(REVIEW, {"ref": intent.ref}), T.CONSULT_SENT)
    if isinstance(intent, Attach):
        return Step(d, T.photo_saved(said.result["count"]))
    return Step(Dialogue(REVIEW, {"ref": said.result.get("ref", intent.ref)}), T.review(facts.draft))


_BY_STATE = {
    IDLE: _idle, TITLE: _title, CONTENT: _content, CATEGORY: _pick_category, COSIGNERS: _cosigners, PICK: _pick,
    REVIEW: _review, QUESTION: _question, ABANDON: _abandon, CHOOSE: _choose,
    EDIT_TITLE: lambda d, text, facts: _edit(EDIT_TITLE, d, text, facts),
    EDIT_CONTENT: lambda d, text, facts: _edit(EDIT_CONTENT, d, text, facts),
    EDIT_CATEGORY: lambda d, text, facts: _edit(EDIT_CATEGORY, d, text, facts),
}

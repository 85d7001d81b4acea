"""The OpenAPI description of /api/v1, generated from the actions table (never written by hand)."""
from __future__ import annotations

from workflow.domain.definition import ACTIONS, REPLY_CATEGORIES, ROLES, STATES, Param
from workflow.domain.sessions import KINDS, ORIGINS
from workflow.domain.tallies import COUNTS, DEFINITIONS, RATES
from workflow.settings import Settings

_KIND = {
    "text": {"type": "string"}, "textarea": {"type": "string"}, "unit": {"type": "string", "description": "单位代码"},
    "date": {"type": "string", "format": "date"}, "int": {"type": "integer", "minimum": 0, "maximum": 100},
    "units": {"type": "array", "items": {"type": "string"}}, "category": {"type": "string"},
    "bool": {"type": "boolean"}, "numbers": {"type": "array", "items": {"type": "string"}, "description": "建议编号"},
}


def _param_schema(param: Param) -> dict:
    schema = dict(_KIND.get(param.kind, {"type": "string"}))
    if param.kind == "choice":
        schema = {"type": "string", "enum": list(param.choices)}
    schema["description"] = param.label
    return schema


def _action_schema(action) -> dict:
    properties = {"action": {"type": "string", "enum": [action.id]}}
    properties.update({p.name: _param_schema(p) for p in action.params})
    if "deputy" in action.actors:
        properties["on_behalf_of"] = {"type": "string", "description": "代录：代表证号（默认领衔代表）"}
    if "unit" in action.actors:
        properties["unit"] = {"type": "string", "description": "代录：承办单位代码"}
    return {"title": action.label, "description": action.description, "type": "object",
            "required": ["action"] + [p.name for p in action.params if p.required], "properties": properties}


def _error() -> dict:
    return {"description": "错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json_body(ref: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": ref}}}}


def _ok(ref: str, text: str = "成功") -> dict:
    return {"description": text, **_json_body(ref)}


def openapi_document(settings: Settings) -> dict:
    """The OpenAPI 3 description served at /api/v1/openapi.json, generated from the actions table."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "代表建议办理 API", "version": "1", "description": "所有错误都返回中文 message 和固定的 error 代码。"},
        "servers": [{"url": settings.server.public_url.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": {**_paths(), **_record_paths()},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": _schemas()},
    }


def _record_paths() -> dict:
    """The paths of the modules that describe themselves (liaison stations, opinions and their figures)."""
    from web.api import opinion_stats, opinions, projects, search, stations, unit_suggestions

    found: dict = {"/api/v1/proposals/similar": {"get": {
        "summary": "类似建议：按标题和内容的相似度排序（0..1）", "parameters": [
            {"name": "text", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 20000}},
            {"name": "year", "in": "query", "schema": {"type": "integer"}},
            {"name": "exclude", "in": "query", "schema": {"type": "string"}, "description": "不列出的建议编号"},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "items: number, title, year, state, score"},
                      "400": {"description": "缺少 text"}}}},
        "/api/v1/proposals/search": search.OPENAPI}
    for module in (stations, opinions, opinion_stats, projects, unit_suggestions):
        found.update(module.OPENAPI_PATHS)
    return found


def _paths() -> dict:
    errors = {str(s): _error() for s in (400, 401, 403, 404, 409)}
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "建议编号（如 2025-012），草稿用 d<id>"}
    return {
        "/api/v1/proposals": {
            "get": {"summary": "建议列表", "parameters": [
                {"name": n, "in": "query", "schema": {"type": t}} for n, t in
                [("year", "integer"), ("state", "string"), ("unit", "string"), ("deputy", "string"),
                 ("q", "string"), ("limit", "integer"), ("offset", "integer")]] + SESSION_FILTERS,
                "responses": {"200": _ok("#/components/schemas/ProposalList"), **errors}},
            "post": {"summary": "录入建议（工作人员代录，默认直接提交）",
                     "requestBody": {"required": True, **_json_body("#/components/schemas/NewProposal")},
                     "responses": {"201": _ok("#/components/schemas/Proposal"), **errors}},
        },
        "/api/v1/proposals/{number}": {"get": {"summary": "建议详情", "parameters": [number],
                                               "responses": {"200": _ok("#/components/schemas/Proposal"), **errors}}},
        "/api/v1/proposals/{number}/actions": {"post": {
            "summary": "办理操作", "parameters": [number],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "oneOf": [{"$ref": f"#/components/schemas/Action_{a}"} for a in ACTIONS]}}}},
            "responses": {"200": _ok("#/components/schemas/Proposal"), **errors}}},
        "/api/v1/assignments/{id}/revoke-link": {"post": {
            "summary": "作废单位链接并重新生成", "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "新的交办记录与链接"}, **errors}}},
        "/api/v1/deputies": {
            "get": {"summary": "代表名册", "responses": {"200": {"description": "代表列表"}, **errors}},
            "post": {"summary": "新增代表", "requestBody": {"required": True, **_json_body("#/components/schemas/Deputy")},
                     "responses": {"201": _ok("#/components/schemas/Deputy"), **errors}}},
        "/api/v1/units": {
            "get": {"summary": "承办单位", "responses": {"200": {"description": "单位列表"}, **errors}},
            "post": {"summary": "新增单位", "requestBody": {"required": True, **_json_body("#/components/schemas/Unit")},
                     "responses": {"201": _ok("#/components/schemas/Unit"), **errors}}},
        "/api/v1/deputies/{number}/binding-code": {"post": {
            "summary": "生成代表绑定码", "parameters": [dict(number, description="代表证号")],
            "responses": {"201": _ok("#/components/schemas/BindingCode"), **errors}}},
        "/api/v1/units/{code}/binding-code": {"post": {
            "summary": "生成单位联络员绑定码",
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"201": _ok("#/components/schemas/BindingCode"), **errors}}},
        **_unit_heads_paths(errors),
        "/api/v1/stats": {"get": {"summary": "统计", "parameters": [
            {"name": "year", "in": "query", "schema": {"type": "integer"}},
            {"name": "unit", "in": "query", "schema": {"type": "string"}},
            {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["unit", "category", "year", "key"]}},
            *SESSION_FILTERS],
            "responses": {"200": _ok("#/components/schemas/Stats"), **errors}}},
        **_session_paths(errors),
    }


def _session_paths(errors: dict) -> dict:
    """届次会议: register, list, correct them; the 交办会's batch assignment."""
    return {
        "/api/v1/sessions": {
            "get": {"summary": "届次会议（新的在前，含各类建议件数）",
                    "responses": {"200": _ok("#/components/schemas/SessionList"), **errors}},
            "post": {"summary": "登记届次会议", "requestBody": {"required": True, **_json_body("#/components/schemas/NewSession")},
                     "responses": {"201": _ok("#/components/schemas/Session"), **errors}}},
        "/api/v1/sessions/{id}/assign": {"post": {
            "summary": "交办会：一次交办一批已立案的建议（任何一项有误则一件也不交办）",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
                    "type": "object", "required": ["number", "lead_units"], "properties": {
                        "number": {"type": "string"}, "lead_units": {"type": "array", "items": {"type": "string"}},
                        "co_units": {"type": "array", "items": {"type": "string"}},
                        "due_date": {"type": "string", "format": "date"}}}}}}}}},
            "responses": {"200": {"description": "每件的新状态"}, **errors}}},
        "/api/v1/sessions/{id}": {"patch": {
            "summary": "更正届次会议（已编号的建议不变）",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, **_json_body("#/components/schemas/NewSession")},
            "responses": {"200": _ok("#/components/schemas/Session"), **errors}}},
    }


SESSION_FILTERS = [
    {"name": "session", "in": "query", "schema": {"type": "integer"}, "description": "届次会议编号：按整个届次（可跨年）"},
    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)},
     "description": "session 大会建议 / interim 闭会期间建议"},
    {"name": "origin", "in": "query", "schema": {"type": "string", "enum": list(ORIGINS)},
     "description": "proposal 代表建议 / motion 议案转建议"},
]


def _schemas() -> dict:
    return {
        "Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "allowed_actions": {"type": "array", "items": {"type": "string"}}}},
        "NewProposal": {"type": "object", "required": ["lead_deputy", "title", "content"], "properties": {
            "lead_deputy": {"type": "string"}, "title": {"type": "string"}, "content": {"type": "string"},
            "category": {"type": "string"}, "co_signers": {"type": "array", "items": {"type": "string"}},
            "submit": {"type": "boolean", "default": True}, "confidential": {"type": "boolean"},
            "face_to_face": {"type": "boolean"},
            "origin": {"type": "string", "enum": list(ORIGINS), "default": "proposal",
                       "description": "motion：议案转建议（主席团决定不列入议程、作为建议处理的议案）"}}},
        "ProposalList": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object"}}, "total": {"type": "integer"}}},
        "Proposal": {"type": "object", "properties": {
            "number": {"type": "string", "nullable": True}, "state": {"type": "string", "enum": list(STATES)},
            "title": {"type": "string"}, "content": {"type": "string"}, "key_supervision": {"type": "boolean"},
            "session": {"type": "integer", "nullable": True, "description": "所属届次会议"},
            "session_name": {"type": "string"},
            "kind": {"type": "string", "nullable": True, "enum": [*KINDS, None]},
            "display_number": {"type": "string", "description": "正式编号（如 第24号）；不在届次内的为年度编号"},
            "origin": {"type": "string", "enum": list(ORIGINS)},
            "allowed_actions": {"type": "array", "items": {"type": "string"}},
            "assignments": {"type": "array", "items": {"type": "object", "properties": {
                "unit": {"type": "string"}, "role": {"type": "string", "enum": list(ROLES)},
                "state": {"type": "string"}, "due_date": {"type": "string", "nullable": True},
                "link": {"type": "string", "nullable": True}}}},
            "replies": {"type": "array", "items": {"type": "object", "properties": {
                "category": {"type": "string", "enum": list(REPLY_CATEGORIES)}}}},
            "evaluations": {"type": "array", "items": {"type": "object"}},
            "events": {"type": "array", "items": {"type": "object"}},
            "attachments": {"type": "array", "description": "代表在微信中发来的佐证图片", "items": {
                "type": "object", "properties": {k: {"type": "string"} for k in ("kind", "url", "media_id", "at", "stored_url", "sha256", "status")}}},
            "meeting_scores": {"type": "array", "items": {"type": "object", "properties": {
                "meeting": {"type": "string"}, "held_on": {"type": "string"}, "state": {"type": "string"},
                "deputies": {"$ref": "#/components/schemas/MeetingScores"},
                "public": {"$ref": "#/components/schemas/MeetingScores"},
                "by_mode": {"$ref": "#/components/schemas/MeetingScoresByMode"}}}}}},
        "Deputy": {"type": "object", "required": ["number", "name"], "properties": {
            k: {"type": "string"} for k in ("number", "name", "delegation", "phone", "work_unit", "term")}},
        "Unit": {"type": "object", "required": ["code", "name"], "properties": {
            k: {"type": "string"} for k in ("code", "name", "contact_name", "contact_phone")}},
        "BindingCode": {"type": "object", "properties": {"code": {"type": "string"},
                                                         "expires_at": {"type": "string"}}},
        "Stats": {"type": "object", "description": "口径见 docs/api.md“统计”；比率为 0..1 的小数，分母为 0 时为 null",
                  "properties": {
            **{k: {"type": "integer", **({"description": DEFINITIONS[k]} if k in DEFINITIONS else {})}
               for k in COUNTS},
            **{k: {"type": "number", "nullable": True, "description": DEFINITIONS[k]} for k in RATES},
            "groups": {"type": "object", "description": "by= 时每组的同样数字", "additionalProperties": {"type": "object"}},
            "meeting_satisfaction": {"type": "object", "description": "集中评议：已结束评议事项的评分，代表与群众分列",
                                     "properties": {**{k: {"$ref": "#/components/schemas/MeetingScores"}
                                                       for k in ("deputies", "public")},
                                                    "by_mode": {"$ref": "#/components/schemas/MeetingScoresByMode"}}}}},
        **{f"Action_{a.id}": _action_schema(a) for a in ACTIONS.values()},
        **_session_schemas(),
        **_meeting_schemas(),
        "UnitHead": _unit_head_schema(),
    }


def _meeting_schemas() -> dict:
    """集中评议: the room's scores, by voter kind and by mode."""
    return {
        "MeetingScoresByMode": {"type": "object", "description": "按评分方式：openid 代表（微信识别）、code 群众（评分码）、open 群众（开放扫码）",
                                "properties": {k: {"$ref": "#/components/schemas/MeetingScores"}
                                               for k in ("openid", "code", "open")}},
        "MeetingScores": {"type": "object", "properties": {
            **{k: {"type": "integer"} for k in ("satisfied", "basically_satisfied", "unsatisfied", "votes")},
            "satisfaction_rate": {"type": "number", "nullable": True}}},
    }


def _session_schemas() -> dict:
    """届次会议: what POST/PATCH /api/v1/sessions take and GET returns."""
    return {
        "NewSession": {"type": "object", "required": ["term", "number", "name", "opens_on", "closes_on"], "properties": {
            "term": {"type": "integer", "description": "第几届"}, "number": {"type": "integer", "description": "第几次会议"},
            "name": {"type": "string", "description": "如 ××县第十八届人民代表大会第五次会议"},
            "opens_on": {"type": "string", "format": "date"}, "closes_on": {"type": "string", "format": "date"}}},
        "Session": {"type": "object", "properties": {
            "id": {"type": "integer"}, "term": {"type": "integer"}, "number": {"type": "integer"},
            "name": {"type": "string"}, "short_name": {"type": "string"},
            "opens_on": {"type": "string", "format": "date"}, "closes_on": {"type": "string", "format": "date"},
            "proposals": {"type": "object", "properties": {k: {"type": "integer"} for k in KINDS}}}},
        "SessionList": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}}},
    }


def _unit_heads_paths(errors: dict) -> dict:
    """单位负责人 (答复函签发人): web/letters/heads.py."""
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "description": "单位代码"}
    return {"/api/v1/units/{code}/heads": {
        "get": {"summary": "单位负责人（答复函签发人）", "parameters": [code],
                "responses": {"200": {"description": "该单位登记的负责人（含离任的）"}, **errors}},
        "post": {"summary": "登记单位负责人，或更改职务、标为离任（active: false）", "parameters": [code],
                 "requestBody": {"required": True, **_json_body("#/components/schemas/UnitHead")},
                 "responses": {"201": _ok("#/components/schemas/UnitHead", "已登记"),
                               "200": _ok("#/components/schemas/UnitHead", "已更新或没有变化"), **errors}}}}


def _unit_head_schema() -> dict:
    return {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": 64, "description": "姓名"},
        "title": {"type": "string", "maxLength": 64, "description": "职务，如 局长、副局长"},
        "active": {"type": "boolean", "description": "在任（false：离任，不能再签发）"}}}

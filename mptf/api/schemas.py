"""The JSON Schemas of the API: published as the OpenAPI document's components and used to
check request bodies (``mptf.api.validation``), so the document and the checks cannot drift."""

from __future__ import annotations

from mptf.models import NOTE_STATUSES, REGIONS
from mptf.models.base import MAX_ID
from mptf.money import MAX_CENTS
from mptf.pipeline.forms import LONG_TEXT
from mptf.pipeline.services import PARTNER_KINDS, STAKEHOLDER_GROUPS


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": [*kinds, "null"]}


def money(prefix: str, description: str) -> dict[str, dict]:
    """The pair of properties every amount has: integer cents and exact USD text."""
    return {
        f"{prefix}_cents": {"type": "integer", "description": f"{description}, in US cents."},
        f"{prefix}_usd": {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$",
                          "description": f"{description}, in US dollars with two decimals."},
    }


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
# No text the API takes may hold a NUL character (PostgreSQL stores none): said in the schema,
# so that the description and the refusal agree.
NO_NUL = r"^[^\x00]*$"


def text(max_length: int, min_length: int = 0) -> dict:
    schema = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    return {**schema, "minLength": min_length} if min_length else schema


TEXT = text(LONG_TEXT)
NO_NUL_KEYS = {"pattern": NO_NUL}
MARKER = {"type": ["integer", "null"], "minimum": 0, "maximum": 3}

COUNTRY = {
    "type": "object",
    "properties": {"iso3": {"type": "string"}, "name": {"type": "string"},
                   "region": {"type": "string", "enum": list(REGIONS)}},
    "required": ["iso3", "name", "region"],
}

ERROR = {
    "type": "object",
    "properties": {"error": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Machine-readable: bad_request, "
                     "unauthorized, forbidden, not_found, method_not_allowed, state, "
                     "conflict, rate_limited, …"},
            "message": {"type": "string", "description": "A sentence saying why."},
            "fields": {"type": "object", "description": "Per field (dotted path), its problems.",
                       "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "request_id": {"type": "string", "description": "On a server error "
                           "(internal_error, 500): the request's id, also in the X-Request-ID "
                           "header, to quote when reporting it."},
        },
        "required": ["code", "message", "fields"],
    }},
    "required": ["error"],
}

PUNO_INPUT = {
    "type": "object",
    "properties": {
        "organisation": {**text(40, min_length=1),
                         "description": "The UN entity's acronym, e.g. IOM."},
        "direct_cents": {"type": "integer", "minimum": 0, "maximum": MAX_CENTS,
                         "description": "Direct costs in US cents; the indirect support costs "
                                        "are computed from them."},
        "lead": {"type": "boolean", "description": "The convening lead (exactly one)."},
    },
    "required": ["organisation", "direct_cents"],
    "additionalProperties": False,
}

NOTE_INPUT_PROPERTIES = {
    "title": text(300),
    "is_regional": {"type": "boolean"},
    "country_ids": {"type": "array", "items": ID, "maxItems": 60,
                    "description": "Countries a regional note covers (ids from /reference)."},
    "thematic_area_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 99},
    "objective_ids": {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                 "maximum": 999}, "maxItems": 30},
    "principles": {"type": "object", "maxProperties": 30,
                   "propertyNames": {"pattern": "^[0-9]{1,3}$"},
                   "additionalProperties": text(2000),
                   "description": "Guiding principle id (as text) → how the programme "
                                  "addresses it."},
    "punos": {"type": "array", "items": ref("PunoInput"), "maxItems": 8},
    "duration_months": {"type": ["integer", "null"], "minimum": 1, "maximum": 240},
    "gender_marker": MARKER,
    "gender_justification": TEXT,
    "human_rights_marker": MARKER,
    "human_rights_justification": TEXT,
    "child_marker": MARKER,
    "child_justification": TEXT,
    "summary": TEXT,
    "problem_statement": TEXT,
    "theory_of_change": TEXT,
    "expected_results": TEXT,
    "national_partners": {"type": "array", "maxItems": 5, "items": {
        "type": "object",
        "properties": {"name": text(200),
                       "kind": {"type": "string", "enum": list(PARTNER_KINDS)}},
        "required": ["name", "kind"], "additionalProperties": False}},
    "stakeholders": {"type": "array", "maxItems": len(STAKEHOLDER_GROUPS), "items": {
        "type": "object",
        "properties": {"group": {"type": "string", "enum": list(STAKEHOLDER_GROUPS)},
                       "description": text(1000)},
        "required": ["group"], "additionalProperties": False}},
    "government_endorsed": {"type": "boolean"},
    "endorsement_date": nullable(DATE),
}

NOTE_CREATE = {
    "type": "object",
    "description": "A new draft. Only the title is required: a draft may be incomplete; "
                   "submission checks everything.",
    "properties": {**NOTE_INPUT_PROPERTIES,
                   "title": text(300, min_length=1)},
    "required": ["title"],
    "additionalProperties": False,
}

NOTE_UPDATE = {
    "type": "object",
    "description": "The fields to change; fields left out keep their value.",
    "properties": NOTE_INPUT_PROPERTIES,
    "additionalProperties": False,
}

PUNO_LINE = {
    "type": "object",
    "properties": {"organisation": {"type": "string"}, "organisation_id": {"type": "integer"},
                   "lead": {"type": "boolean"}, **money("direct", "Direct costs"),
                   **money("indirect", "Indirect support costs"),
                   **money("total", "Direct plus indirect")},
}

NOTE_SUMMARY_PROPERTIES = {
    "id": {"type": "integer"}, "reference": {"type": "string"},
    "status": {"type": "string", "enum": list(NOTE_STATUSES)},
    "title": {"type": "string"}, "country": COUNTRY, "is_regional": {"type": "boolean"},
    "thematic_area_id": {"type": ["integer", "null"]},
    **money("total", "Requested budget including indirect support costs"),
    "score": {"type": ["number", "null"], "description": "The latest closed round's score."},
    "submitted_at": nullable(DATETIME), "expires_on": nullable(DATE),
    "updated_at": DATETIME,
}

NOTE_SUMMARY = {"type": "object", "properties": NOTE_SUMMARY_PROPERTIES}

NOTE = {
    "type": "object",
    "properties": {
        **NOTE_SUMMARY_PROPERTIES,
        **{k: v for k, v in NOTE_INPUT_PROPERTIES.items() if k != "punos"},
        "countries": {"type": "array", "items": COUNTRY},
        "punos": {"type": "array", "items": ref("PunoLine")},
        **money("total_direct", "Direct costs"),
        **money("total_indirect", "Indirect support costs"),
        "current_version": {"type": "integer"},
        "created_at": DATETIME,
        "can_edit": {"type": "boolean"},
    },
}

REVIEW_INPUT = {
    "type": "object",
    "properties": {
        "scores": {"type": "object", "maxProperties": 50, "propertyNames": NO_NUL_KEYS,
                   "additionalProperties": {"type": ["integer", "null"], "minimum": -1000,
                                            "maximum": 1000},
                   "description": "Criterion code → value on the criterion's scale (null to "
                                  "leave it blank in a draft)."},
        "comments": {"type": "object", "maxProperties": 50, "propertyNames": NO_NUL_KEYS,
                     "additionalProperties": text(5000)},
        "comment": TEXT,
        "submit": {"type": "boolean", "description": "true submits the review (every "
                                                    "criterion then needs a score)."},
    },
    "required": ["scores"],
    "additionalProperties": False,
}

REVIEW = {
    "type": "object",
    "properties": {
        "round_id": {"type": "integer"}, "note_id": {"type": "integer"},
        "status": {"type": ["string", "null"], "enum": ["draft", "submitted", None]},
        "scores": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
        "comments": {"type": "object", "additionalProperties": {"type": "string"}},
        "comment": {"type": "string"}, "submitted_at": nullable(DATETIME),
    },
}

PROGRAMME = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "description": "The allocation's id."},
        "reference": {"type": "string"}, "title": {"type": "string"},
        "summary": {"type": "string"}, "country": COUNTRY,
        "countries": {"type": "array", "items": COUNTRY},
        "is_regional": {"type": "boolean"},
        "thematic_area": {"type": ["object", "null"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}}},
        "duration_months": {"type": ["integer", "null"]},
        "gender_marker": {"type": ["integer", "null"]},
        "punos": {"type": "array", "items": ref("PunoLine")},
        **money("amount", "Amount allocated"),
        "cycle": {"type": "object", "properties": {"id": {"type": "integer"},
                                                   "name": {"type": "string"}}},
        "approved_on": DATE, "decision_date": DATE,
        "decision": {"type": ["object", "null"], "properties": {
            "id": {"type": "integer"}, "reference": {"type": "string"},
            "pdf_url": {"type": "string"}, "sha256": {"type": "string"}}},
        "transfers": {"type": "array", "items": {"type": "object", "properties": {
            "organisation": {"type": "string"}, **money("direct", "Direct costs"),
            **money("indirect", "Indirect support costs"), **money("amount", "Transfer"),
            "transferred_on": nullable(DATE)}}},
        "url": {"type": "string"},
    },
}

DECISION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"},
        "cycle": {"type": "object", "properties": {"id": {"type": "integer"},
                                                   "name": {"type": "string"}}},
        "meeting_date": nullable(DATE), "issued_at": DATETIME,
        "outcome": {"type": ["string", "null"]},
        "sha256": {"type": "string", "description": "SHA-256 of the sealed PDF."},
        "pdf_url": {"type": "string"},
        "programmes": {"type": "integer"}, **money("allocated", "Allocated by the decision"),
    },
}

FUND = {
    "type": "object",
    "properties": {
        "fund_name": {"type": "string"},
        **money("gross", "Deposited by donors"),
        **money("fee", "The Administrative Agent's fee"),
        **money("net", "Net deposits"), **money("allocated", "Allocated to programmes"),
        **money("available", "Available for allocation"),
        "contributions": {"type": "integer"}, "donors": {"type": "integer"},
        "programmes": {"type": "integer"},
    },
}

CONTRIBUTIONS = {
    "type": "object",
    "properties": {
        "by_donor": {"type": "array", "items": {"type": "object", "properties": {
            "donor": {"type": "string"}, "kind": {"type": "string"},
            "contributions": {"type": "integer"}, **money("gross", "Deposited"),
            **money("net", "Net of the fee"), "first": DATE, "last": DATE}}},
        "by_earmark": {"type": "array", "items": {"type": "object", "properties": {
            "thematic_area_id": {"type": ["integer", "null"]},
            "contributions": {"type": "integer"}, **money("gross", "Deposited"),
            **money("net", "Net of the fee")}}},
        **money("gross", "Deposited in total"),
    },
}

DEMAND_ROW = {
    "type": "object",
    "properties": {
        "key": {"type": ["integer", "string"]}, "label": {"type": "string"},
        "funded_notes": {"type": "integer"}, **money("funded", "Allocated"),
        "unfunded_notes": {"type": "integer"},
        **money("unfunded_demand", "Requested by notes waiting in the pipeline"),
    },
}

DEMAND = {
    "type": "object",
    "properties": {"by_thematic_area": {"type": "array", "items": ref("DemandRow")},
                   "by_region": {"type": "array", "items": ref("DemandRow")}},
}

ROUND = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "open", "closed"]},
        "opens_on": nullable(DATE), "closes_on": nullable(DATE),
        "quorum": {"type": "integer"}, "disagreement_threshold": {"type": "number"},
        "calibrate": {"type": "boolean"},
        "opened_at": nullable(DATETIME), "closed_at": nullable(DATETIME),
        "criteria": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "label": {"type": "string"},
            "weight": {"type": "number"}, "scale_min": {"type": "integer"},
            "scale_max": {"type": "integer"}, "guidance": {"type": "string"}}}},
        "notes": {"type": "array", "items": {"type": "object", "properties": {
            "note_id": {"type": "integer"}, "reference": {"type": "string"},
            "title": {"type": "string"}, "country": {"type": "string"}}}},
        "my_assignments": {"type": "array", "description": "Reviewers: their notes.",
                           "items": {"type": "object", "properties": {
                               "note_id": {"type": "integer"},
                               "status": {"type": "string", "enum": ["assigned", "recused"]},
                               "review_status": {"type": ["string", "null"]}}}},
        "progress": {"type": "array", "description": "Secretariat, open round: counts only.",
                     "items": {"type": "object", "properties": {
                         "note_id": {"type": "integer"}, "assigned": {"type": "integer"},
                         "recused": {"type": "integer"}, "submitted": {"type": "integer"}}}},
    },
}

RESULTS = {
    "type": "object",
    "properties": {
        "round_id": {"type": "integer"},
        "results": {"type": "array", "items": {"type": "object", "properties": {
            "rank": {"type": ["integer", "null"]}, "reference": {"type": "string"},
            "title": {"type": "string"}, "country": {"type": "string"},
            "thematic_area_id": {"type": ["integer", "null"]},
            "n_reviews": {"type": ["integer", "null"]},
            **{k: {"type": ["number", "null"]} for k in (
                "mean", "median", "std", "spread", "calibrated", "score")},
            "quorum_met": {"type": "boolean"}, "disagreement": {"type": "boolean"}}}},
    },
}

RUN_SUMMARY = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "method": {"type": "string"},
                   "created_at": DATETIME, **money("envelope", "Money the run could spend"),
                   **money("allocated", "Money the run allocated")},
}

CYCLE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "approved"]},
        "decision_date": nullable(DATE),
        "envelope_cents": {"type": ["integer", "null"]},
        "envelope_usd": {"type": ["string", "null"]},
        "policy": {"type": "object"}, "round_ids": {"type": "array",
                                                    "items": {"type": "integer"}},
        "created_at": DATETIME, "approved_at": nullable(DATETIME),
        "runs": {"type": "array", "items": ref("RunSummary")},
        "allocations": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "note_id": {"type": "integer"},
            "reference": {"type": "string"}, "rank": {"type": "integer"},
            **money("amount", "Allocated")}}},
    },
}

RUN = {
    "type": "object",
    "properties": {
        **RUN_SUMMARY["properties"], "cycle_id": {"type": "integer"},
        "policy": {"type": "object"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "note_id": {"type": "integer"}, "reference": {"type": "string"},
            "order": {"type": "integer"}, "status": {"type": "string"},
            "score": {"type": ["number", "null"]}, **money("requested", "Requested"),
            **money("amount", "Allocated"), **money("from_earmarked", "From earmarks"),
            **money("from_unearmarked", "From unearmarked money")}}},
    },
}

ME = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                   "name": {"type": "string"}, "role": {"type": "string"},
                   "country": {"type": ["object", "null"], "properties": COUNTRY["properties"]},
                   "token": {"type": "object", "properties": {
                       "id": {"type": "integer"}, "name": {"type": "string"},
                       "created_at": DATETIME, "expires_at": DATETIME,
                       "scope": {"type": "string", "enum": ["read", "read_write"],
                                 "description": "read: GET only; read_write: every "
                                                "operation the role allows"}}}},
}

REFERENCE = {
    "type": "object",
    "properties": {
        "thematic_areas": {"type": "array", "items": {"type": "object"}},
        "gcm_objectives": {"type": "array", "items": {"type": "object"}},
        "guiding_principles": {"type": "array", "items": {"type": "object"}},
        "countries": {"type": "array", "items": {"type": "object"}},
        "un_entities": {"type": "array", "items": {"type": "object"}},
        "regions": {"type": "array", "items": {"type": "string"}},
        "note_statuses": {"type": "array", "items": {"type": "string"}},
        "partner_kinds": {"type": "object"}, "stakeholder_groups": {"type": "object"},
    },
}


def page_of(item: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": ref(item)},
            "limit": {"type": "integer"},
            "next_cursor": {"type": ["string", "null"],
                            "description": "Pass as cursor for the next page; null at the end."},
        },
        "required": ["data", "limit", "next_cursor"],
    }


COMPONENTS: dict[str, dict] = {
    "Error": ERROR, "PunoInput": PUNO_INPUT, "PunoLine": PUNO_LINE,
    "NoteCreate": NOTE_CREATE, "NoteUpdate": NOTE_UPDATE, "NoteSummary": NOTE_SUMMARY,
    "Note": NOTE, "NotePage": page_of("NoteSummary"), "ReviewInput": REVIEW_INPUT,
    "Review": REVIEW, "Programme": PROGRAMME, "ProgrammePage": page_of("Programme"),
    "Decision": DECISION, "DecisionPage": page_of("Decision"), "Fund": FUND,
    "Contributions": CONTRIBUTIONS, "DemandRow": DEMAND_ROW, "Demand": DEMAND,
    "Round": ROUND, "RoundPage": page_of("Round"), "Results": RESULTS,
    "RunSummary": RUN_SUMMARY, "Cycle": CYCLE, "CyclePage": page_of("Cycle"), "Run": RUN,
    "Me": ME, "Reference": REFERENCE,
}

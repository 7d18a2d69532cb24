"""The funded programmes as IATI activities (IATI Activity Standard 2.03), for
``/api/v1/iati/activities.xml`` and ``mptf export iati``.

One activity per allocation of an approved cycle:

- ``iati-identifier``: the reporting organisation's ref and the note's reference;
- ``reporting-org`` and the funding ``participating-org`` (role 1): the fund, administered by
  the MPTF Office; one implementing ``participating-org`` (role 4) per PUNO;
- ``title`` and ``description``: the funded note's title and summary (a funded note only);
- ``activity-status`` 2 (implementation); ``activity-date`` 1 (planned start: the approval),
  2 (actual start: the first transfer, when there is one), 3 (planned end: start + duration);
- ``recipient-country`` with the ISO alpha-2 code (``iso2.csv``), shared equally by the
  countries of a regional note;
- ``sector``: DAC 5-digit 15190 (facilitation of orderly, safe, regular and responsible
  migration and mobility), and the fund's thematic area in the reporting organisation's own
  vocabulary (99);
- ``policy-marker`` 1 (gender equality) from the note's gender equality marker, by the UN
  gender equality marker to OECD-DAC crosswalk: 0 and 1 → 0 (not targeted), 2 → 1
  (significant objective), 3 → 2 (principal objective);
- ``transaction`` 2 (commitment) on the approval date for the allocation, and 3
  (disbursement) for each transfer line that has been transferred, to its PUNO.

Amounts are US dollars written from integer cents, exactly.

``iso2.csv`` maps ISO 3166-1 alpha-3 to alpha-2. It was generated once, with pycountry (not a
runtime dependency), and is committed::

    python - <<'PY'
    import csv, pycountry
    rows = sorted((c.alpha_3, c.alpha_2) for c in pycountry.countries)
    with open("mptf/api/iso2.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\\n"); w.writerow(["iso3", "iso2"]); w.writerows(rows)
    PY
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from flask import current_app, has_request_context

from mptf.models.base import utcnow
from mptf.money import usd_plain
from mptf.pipeline.rules import add_months
from mptf.public import portfolio
from mptf.urls import external_url

IATI_VERSION = "2.03"
# Placeholders until the fund registers as an IATI publisher: set IATI_REPORTING_ORG_REF
# (and IATI_REPORTING_ORG_TYPE) in the configuration. 41119 is a DAC channel code of the UN
# system; the fund's own publisher identifier must replace it before publishing.
REPORTING_ORG_REF = "XM-DAC-41119-MIG"
REPORTING_ORG_TYPE = "40"  # multilateral
MIGRATION_SECTOR = "15190"
# IATI organisation identifiers of UN entities (their DAC channel codes); entities not listed
# are named without a ref.
UN_ENTITY_REFS = {
    "IOM": "XM-DAC-47066", "ILO": "XM-DAC-41302", "UNDP": "XM-DAC-41114",
    "UNICEF": "XM-DAC-41122", "UNHCR": "XM-DAC-41121", "UNFPA": "XM-DAC-41119",
    "WFP": "XM-DAC-41140", "UN-Habitat": "XM-DAC-41120", "UN Women": "XM-DAC-41146",
    "WHO": "XM-DAC-928",
}
GENDER_SIGNIFICANCE = {0: "0", 1: "0", 2: "1", 3: "2"}
BATCH = 500


@cache
def iso2_codes() -> dict[str, str]:
    with open(Path(__file__).with_name("iso2.csv"), newline="", encoding="utf-8") as f:
        return {row["iso3"]: row["iso2"] for row in csv.DictReader(f)}


def reporting_ref() -> str:
    return current_app.config.get("IATI_REPORTING_ORG_REF", REPORTING_ORG_REF)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str):
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attributes.items()
                                          if v is not None})
    if text is not None:
        element.text = text
    return element


def _narrative(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = _sub(parent, tag, **attributes)
    _sub(element, "narrative", text)
    return element


def _value(parent: ET.Element, cents: int, on: date) -> None:
    _sub(parent, "value", usd_plain(cents), currency="USD", value_date=on.isoformat())


def _percentages(n: int) -> list[str]:
    """n shares summing to exactly 100, two decimals, the remainder on the first."""
    if n == 1:
        return ["100"]
    share = (Decimal(100) / n).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    first = Decimal(100) - share * (n - 1)
    return [str(first)] + [str(share)] * (n - 1)


def activity(p: portfolio.Programme, fund_name: str, now: datetime,
             base_url: str | None = None) -> ET.Element:
    ref = reporting_ref()
    note = p.note
    approved = p.approved_on
    element = ET.Element("iati-activity", {
        "last-updated-datetime": (p.cycle.approved_at or now).replace(microsecond=0)
        .isoformat() + "Z",
        "{http://www.w3.org/XML/1998/namespace}lang": "en",
        "default-currency": "USD", "hierarchy": "1"})
    _sub(element, "iati-identifier", f"{ref}-{note.reference}")
    _narrative(element, "reporting-org", fund_name, ref=ref,
               type=current_app.config.get("IATI_REPORTING_ORG_TYPE", REPORTING_ORG_TYPE))
    _narrative(element, "title", note.title or note.reference)
    _narrative(element, "description", note.summary or note.title or note.reference, type="1")
    _narrative(element, "participating-org", f"{fund_name} (administered by the MPTF Office)",
               ref=ref, type=REPORTING_ORG_TYPE, role="1")
    for line in note.puno_lines:
        org = line.organisation
        _narrative(element, "participating-org", org.name, ref=UN_ENTITY_REFS.get(org.acronym),
                   type="40", role="4")
    _sub(element, "activity-status", code="2")
    _sub(element, "activity-date", type="1", iso_date=approved.isoformat())
    transferred = sorted(t.transferred_on for t in p.allocation.transfers if t.transferred_on)
    if transferred:
        _sub(element, "activity-date", type="2", iso_date=transferred[0].isoformat())
    if note.duration_months:
        _sub(element, "activity-date", type="3",
             iso_date=add_months(approved, note.duration_months).isoformat())
    countries = ([c for c in note.countries] if note.is_regional and note.countries
                 else [note.country])
    codes = iso2_codes()
    known = [c for c in countries if c.iso3 in codes]
    for country, share in zip(known, _percentages(len(known)) if known else [], strict=True):
        _narrative(element, "recipient-country", country.name, code=codes[country.iso3],
                   percentage=share)
    _narrative(element, "sector", "Facilitation of orderly, safe, regular and responsible "
               "migration and mobility", vocabulary="1", code=MIGRATION_SECTOR,
               percentage="100")
    if note.thematic_area is not None:
        _narrative(element, "sector", note.thematic_area.name, vocabulary="99",
                   code=f"MPTF-TA-{note.thematic_area.id}", percentage="100")
    if note.gender_marker is not None:
        _narrative(element, "policy-marker", "Gender equality", vocabulary="1", code="1",
                   significance=GENDER_SIGNIFICANCE[note.gender_marker])
    _sub(element, "default-finance-type", code="110")
    commitment = _sub(element, "transaction")
    _sub(commitment, "transaction-type", code="2")
    _sub(commitment, "transaction-date", iso_date=approved.isoformat())
    _value(commitment, p.allocation.amount_cents, approved)
    _narrative(commitment, "description", f"Allocation approved in {p.cycle.name}")
    _narrative(commitment, "provider-org", fund_name, ref=ref)
    for t in p.allocation.transfers:
        if t.transferred_on is None:
            continue
        disbursement = _sub(element, "transaction")
        _sub(disbursement, "transaction-type", code="3")
        _sub(disbursement, "transaction-date", iso_date=t.transferred_on.isoformat())
        _value(disbursement, t.total_cents, t.transferred_on)
        _narrative(disbursement, "provider-org", fund_name, ref=ref)
        _narrative(disbursement, "receiver-org", t.organisation.name,
                   ref=UN_ENTITY_REFS.get(t.organisation.acronym))
    base_url = base_url or current_app.config.get("BASE_URL")
    if p.decision is not None and (base_url or has_request_context()):
        link = _sub(element, "document-link", format="application/pdf",
                    url=external_url("reports.decision_pdf", base_url=base_url,
                                     decision_id=p.decision.id))
        _narrative(link, "title", f"Steering Committee decision {p.decision.reference}")
        _sub(link, "category", code="A04")
        _sub(link, "document-date", iso_date=(p.decision.issued_at or now).date().isoformat())
    return element


def activities_xml(now: datetime | None = None, base_url: str | None = None) -> bytes:
    """Every funded programme as one ``iati-activities`` document (UTF-8 bytes). With no
    funded programme yet the root has no activity, which the schema does not accept: IATI
    asks publishers not to publish an empty file. Decision links are made on ``base_url`` or
    ``MPTF_BASE_URL`` (``mptf.urls.external_url``); without either, outside a request, left out."""
    now = (now or utcnow()).replace(microsecond=0)
    root = ET.Element("iati-activities", {"version": IATI_VERSION,
                                          "generated-datetime": now.isoformat() + "Z"})
    name = portfolio.fund_name()
    after = 0
    filters = portfolio.PortfolioFilters()
    while True:
        batch = portfolio.programmes_after(filters, after, BATCH)
        for p in batch:
            root.append(activity(p, name, now, base_url))
        if len(batch) < BATCH:
            break
        after = batch[-1].allocation.id
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

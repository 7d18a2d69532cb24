"""Generate seed_data/countries.csv: the 193 UN member states.

Run once from the repository root (the output is committed; the app never imports this):

    pip install country_converter==1.3.2 pycountry==26.2.16   # generation-time only
    python seed_data/generate_countries.py

Data source
-----------
* ``country_converter`` 1.3.2 (coco), its bundled ``country_data.tsv``. A country is a UN member
  state when its ``UNmember`` column (year of admission) is filled: exactly 193 rows, no
  observers (Holy See, State of Palestine) and no territories. ``ISO3`` gives the ISO 3166-1
  alpha-3 code, ``name_short`` the common English short name, ``continent`` and ``UNregion``
  (the UN M49 sub-region) drive the region mapping below.
  The TSV is read with the ``csv`` module rather than ``coco.CountryConverter()``, because
  coco 1.3.2's constructor fails under pandas 3 (its ISO2 column loads as a non-string dtype).
* ``pycountry`` 26.2.16 is used only as a cross-check: every code must be an ISO 3166-1
  alpha-3 code there. It is optional; the check is skipped if it is not installed.

Regions (the five of DESIGN.md section 2, modelled on UNDP's five regional bureaux)
------------------------------------------------------------------------------------
1. ``Arab States``: the 21 UN member states of the League of Arab States (the League has 22
   members; the State of Palestine is not a UN member state and is not listed). They are in
   Arab States even when coco puts them in Africa.
2. ``Africa``: every other state whose coco continent is Africa.
3. ``Latin America and the Caribbean``: coco continent America, except the United States and
   Canada.
4. ``Europe and Central Asia``: coco continent Europe; the UN M49 "Central Asia" sub-region
   (Kazakhstan, Kyrgyzstan, Tajikistan, Turkmenistan, Uzbekistan); the South Caucasus
   (Armenia, Azerbaijan, Georgia), Türkiye, Cyprus and Israel (M49 Western Asia, but not Arab
   States and not Asia-Pacific in UNDP's bureaux; Israel is in the WEOG group at the UN); and,
   by a deliberate convention of this app, the United States and Canada (there is no
   "Western Europe and Others" region here, and North America is not Latin America).
5. ``Asia-Pacific``: every other state of coco continent Asia or Oceania, including Iran,
   Afghanistan, Japan, the Republic of Korea, Australia and New Zealand.

Overrides
---------
* ``NAME_OVERRIDES`` replaces a few coco short names with the usual UN-style short name
  (e.g. coco "DR Congo" -> "Democratic Republic of the Congo", "St. Lucia" -> "Saint Lucia").
* ``CHAMPIONS``: GCM Champion countries confirmed from a source (see SOURCES.md); everything
  else is ``false``.

The script refuses to write unless there are exactly 193 unique codes, every region is one of
the five, and every champion code is a member state.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import country_converter

HERE = Path(__file__).resolve().parent
OUT = HERE / "countries.csv"

REGIONS = (
    "Africa",
    "Arab States",
    "Asia-Pacific",
    "Europe and Central Asia",
    "Latin America and the Caribbean",
)

# League of Arab States members that are UN member states (Palestine excluded: not a member).
ARAB_STATES = {
    "DZA", "BHR", "COM", "DJI", "EGY", "IRQ", "JOR", "KWT", "LBN", "LBY", "MRT",
    "MAR", "OMN", "QAT", "SAU", "SOM", "SDN", "SYR", "TUN", "ARE", "YEM",
}

# M49 Western Asia states that are neither Arab States nor Asia-Pacific here.
WESTERN_ASIA_TO_EUROPE = {"ARM", "AZE", "GEO", "TUR", "CYP", "ISR"}

# North America: no "Western Europe and Others" region in this app (see module docstring).
NORTH_AMERICA_TO_EUROPE = {"USA", "CAN"}

NAME_OVERRIDES = {
    "COG": "Congo",
    "COD": "Democratic Republic of the Congo",
    "FSM": "Micronesia (Federated States of)",
    "KNA": "Saint Kitts and Nevis",
    "LCA": "Saint Lucia",
    "VCT": "Saint Vincent and the Grenadines",
    "STP": "São Tomé and Príncipe",
}

# GCM Champion countries confirmed from a source (SOURCES.md lists which source for each).
CHAMPIONS = {
    # 28 Champion countries named at the Informal Cross-Regional GCM Champions dialogue,
    # Accra, 28-30 November 2023 (UN Network on Migration).
    "AZE", "CAN", "TCD", "COL", "CRI", "ECU", "EGY", "SLV", "ETH", "GHA", "GNB", "HND",
    "IRQ", "KEN", "LUX", "MWI", "MLI", "MEX", "MAR", "NER", "NGA", "PAN", "PER", "PRT",
    "SEN", "SLE", "GMB", "TUR",
    # Confirmed individually: Bangladesh (July 2020), Thailand (2020), Sri Lanka (2025).
    "BGD", "THA", "LKA",
}


def region_for(iso3: str, continent: str, un_region: str) -> str:
    if iso3 in ARAB_STATES:
        return "Arab States"
    if iso3 in NORTH_AMERICA_TO_EUROPE or iso3 in WESTERN_ASIA_TO_EUROPE:
        return "Europe and Central Asia"
    if continent == "Africa":
        return "Africa"
    if continent == "America":
        return "Latin America and the Caribbean"
    if continent == "Europe" or un_region == "Central Asia":
        return "Europe and Central Asia"
    if continent in ("Asia", "Oceania"):
        return "Asia-Pacific"
    raise ValueError(f"{iso3}: no region rule for continent {continent!r} / {un_region!r}")


def load_members() -> list[dict[str, str]]:
    tsv = Path(country_converter.__file__).resolve().parent / "country_data.tsv"
    with tsv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r for r in rows if r["UNmember"].strip()]


def cross_check_pycountry(codes: list[str]) -> None:
    try:
        import pycountry
    except ImportError:  # optional cross-check
        print("pycountry not installed: ISO 3166 cross-check skipped", file=sys.stderr)
        return
    missing = [c for c in codes if pycountry.countries.get(alpha_3=c) is None]
    if missing:
        raise SystemExit(f"not ISO 3166-1 alpha-3 codes in pycountry: {missing}")


def main() -> None:
    members = load_members()
    out = []
    for r in members:
        iso3 = r["ISO3"].strip()
        out.append({
            "iso3": iso3,
            "name": NAME_OVERRIDES.get(iso3, r["name_short"].strip()),
            "region": region_for(iso3, r["continent"].strip(), r["UNregion"].strip()),
            "champion": "true" if iso3 in CHAMPIONS else "false",
        })
    out.sort(key=lambda row: row["iso3"])

    codes = [row["iso3"] for row in out]
    if len(out) != 193 or len(set(codes)) != 193:
        raise SystemExit(f"expected 193 unique member states, got {len(out)} / {len(set(codes))}")
    if bad := [row for row in out if row["region"] not in REGIONS]:
        raise SystemExit(f"unknown regions: {bad}")
    if missing := CHAMPIONS - set(codes):
        raise SystemExit(f"champions that are not member states: {sorted(missing)}")
    if missing := ARAB_STATES - set(codes):
        raise SystemExit(f"Arab States that are not member states: {sorted(missing)}")
    cross_check_pycountry(codes)

    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["iso3", "name", "region", "champion"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)

    counts = Counter(row["region"] for row in out)
    print(f"wrote {OUT.name}: {len(out)} rows, {len(CHAMPIONS)} champions")
    for region in REGIONS:
        print(f"  {region}: {counts[region]}")


if __name__ == "__main__":
    main()

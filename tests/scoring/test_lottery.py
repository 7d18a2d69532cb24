"""The verifiable lottery: the commitment, the draw, its verification and the allocation that
tries the grey zone in drawn order under every rule of the policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.allocate import NOTE_COLUMNS, TABLE_COLUMNS, AllocationPolicy, Funds, allocate
from scoring.lottery import (
    check_seed,
    commitment,
    draw_order,
    lottery_allocation,
    new_seed,
    normalise_seed,
    ticket,
    verify_draw,
)

SEED = "0123456789abcdef" * 4
REFERENCES = ["MIG-2026-0011", "MIG-2026-0003", "MIG-2026-0012", "MIG-2026-0007"]
# Computed outside Python, with the shell's sha256sum:
#   printf '%s' "$SEED" | sha256sum; printf '%s\n%s' "$SEED" MIG-2026-0003 | sha256sum; ...
COMMITMENT = "a8ae6e6ee929abea3afcfc5258c8ccd6f85273e0d4626d26c7279f3250f77c8e"
TICKETS = {
    "MIG-2026-0003": "1ecbf774fe00095a82f46c41efabee4b2bc4c5b9cf8f8d9a53cb9f9947150ff7",
    "MIG-2026-0007": "54aa6f0e75a1543ff2b9a721df9e4668a5e006c2f2237a42357164634c1d0004",
    "MIG-2026-0011": "b64385283f0b1e68f43fdf5082c2d9f6397583427afe434ce80ad80edd5ca506",
    "MIG-2026-0012": "5e342ffa23ddcd558c8ca12e6808fa396c3de270491cb17cb60811c3fffcc424",
}
DRAWN = ["MIG-2026-0003", "MIG-2026-0007", "MIG-2026-0012", "MIG-2026-0011"]


# --- the commitment and the draw -----------------------------------------------------------

def test_commitment_and_tickets_are_the_published_sha256():
    assert commitment(SEED) == COMMITMENT
    assert {r: ticket(SEED, r) for r in REFERENCES} == TICKETS
    assert draw_order(SEED, REFERENCES) == DRAWN


def test_the_draw_depends_on_the_references_not_their_order():
    assert draw_order(SEED, reversed(REFERENCES)) == DRAWN
    assert draw_order(SEED, []) == []
    # Another seed, another order of the same references.
    assert draw_order("d" * 64, REFERENCES) == ["MIG-2026-0011", "MIG-2026-0012",
                                                "MIG-2026-0007", "MIG-2026-0003"]


def refusal(call, *args, **kwargs) -> str:
    """The whole sentence a call is refused with."""
    with pytest.raises(ValueError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_a_seed_is_normalised_and_its_form_checked():
    assert normalise_seed(f"  {SEED.upper()}\n") == SEED
    assert commitment(SEED.upper()) == COMMITMENT
    rule = "A seed is 64 hexadecimal digits (0-9, a-f); this one"
    assert refusal(normalise_seed, "1234") == f"{rule} is 4 characters long."
    assert refusal(normalise_seed, "") == f"{rule} is 0 characters long."
    assert refusal(normalise_seed, "g" * 64) == f"{rule} has other characters."
    assert refusal(normalise_seed, 12345) == \
        "A seed is a text of 64 hexadecimal digits, not int."
    seed = new_seed()
    assert normalise_seed(seed) == seed and seed != new_seed()


def test_a_seed_that_does_not_match_its_commitment_is_refused():
    assert check_seed(SEED, COMMITMENT.upper()) == SEED
    other = "1" * 64
    assert refusal(check_seed, other, COMMITMENT) == (
        "The seed revealed does not match the commitment: its SHA-256 is "
        "3138bb9bc78df27c473ecfd1410f7bd45ebac1f59cf3ff9cfe4db77aab7aedd3, the commitment "
        f"printed in the draft is {COMMITMENT}.")
    assert refusal(check_seed, SEED, "abc") == \
        "A commitment is a SHA-256 in hexadecimal (64 digits)."


def test_verify_draw_accepts_the_draw_and_names_the_first_difference():
    assert verify_draw(SEED, COMMITMENT, REFERENCES, DRAWN) == DRAWN
    swapped = [DRAWN[0], DRAWN[2], DRAWN[1], DRAWN[3]]
    assert refusal(verify_draw, SEED, COMMITMENT, REFERENCES, swapped) == (
        "The drawn order differs from the seed's at place 2: the seed puts MIG-2026-0007 "
        "there, the document MIG-2026-0012.")
    assert refusal(verify_draw, SEED, COMMITMENT, REFERENCES, DRAWN[:3]) == \
        "The drawn order does not list the same references as the grey zone."
    assert refusal(verify_draw, "2" * 64, COMMITMENT, REFERENCES, DRAWN).startswith(
        "The seed revealed does not match the commitment")


def test_references_are_checked():
    with pytest.raises(ValueError, match="more than once in the draw: MIG-2026-0003"):
        draw_order(SEED, ["MIG-2026-0003", "MIG-2026-0003"])
    with pytest.raises(ValueError, match="non-empty texts"):
        draw_order(SEED, ["MIG-2026-0003", " MIG-2026-0004"])
    with pytest.raises(ValueError, match="non-empty texts"):
        draw_order(SEED, [3])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ABCMIG-0123456789", min_size=1, max_size=12)
                .filter(lambda s: s == s.strip()), unique=True, max_size=12),
       st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_the_draw_is_a_deterministic_permutation(references, seed):
    drawn = draw_order(seed, references)
    assert sorted(drawn) == sorted(references)
    assert draw_order(seed, list(reversed(references))) == drawn
    assert verify_draw(seed, commitment(seed), references, drawn) == drawn


# --- the allocation ----------------------------------------------------------------------

def cycle(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(NOTE_COLUMNS))
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return frame


# Four candidates of 100 each; 250 to spend. Note 1 is above the grey zone; notes 3, 7, 11 and
# 12 in it (their references are MIG-2026-0003 …), note 20 is below and note 21 has no quorum.
NOTES = cycle([
    # id  country region area req score quorum champion marker submitted
    (1, "KEN", "Africa", 1, 100, 80.0, True, False, 2, "2026-01-01"),
    (3, "KEN", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-02"),
    (7, "SEN", "Africa", 1, 100, 69.0, True, False, 2, "2026-01-03"),
    (11, "MEX", "Americas", 2, 100, 68.0, True, False, 2, "2026-01-04"),
    (12, "PER", "Americas", 2, 100, 67.0, True, False, 2, "2026-01-05"),
    (20, "CHL", "Americas", 2, 40, 50.0, True, False, 2, "2026-01-06"),
    (21, "BRA", "Americas", 2, 40, 90.0, False, False, 2, "2026-01-07"),
])
GREY = {3: "MIG-2026-0003", 7: "MIG-2026-0007", 11: "MIG-2026-0011", 12: "MIG-2026-0012"}
RESULT = ["note_id", "order", "status", "amount", "zone", "drawn"]


def test_the_grey_zone_is_tried_in_drawn_order_under_the_policy():
    # Drawn: 3, 7, 12, 11. Note 3 is Kenya's second note: the country limit keeps it out,
    # so the lot funds 7 next; 12 is refused for money (50 left), and so is 11; note 20 (40)
    # still fits; note 21 lacks quorum.
    result = lottery_allocation(NOTES, Funds(250), AllocationPolicy(max_per_country=1),
                                above=[1], grey=GREY, references=GREY, seed=SEED)
    expected = pd.DataFrame([
        (1, 1, "funded", 100, "above", pd.NA),
        (3, 2, "country_limit", 0, "grey", 1),
        (7, 3, "funded", 100, "grey", 2),
        (12, 4, "insufficient_funds", 0, "grey", 3),
        (11, 5, "insufficient_funds", 0, "grey", 4),
        (20, 6, "funded", 40, "below", pd.NA),
        (21, 7, "no_quorum", 0, "below", pd.NA),
    ], columns=RESULT)
    expected["drawn"] = expected["drawn"].astype("Int64")
    pd.testing.assert_frame_equal(result.table[RESULT], expected, check_dtype=False)
    assert list(result.table.columns) == [*TABLE_COLUMNS, "zone", "drawn"]
    assert result.drawn == DRAWN
    assert result.funded_by_lot == [7]
    assert result.commitment == COMMITMENT and result.seed == SEED


def test_without_the_country_limit_the_first_drawn_is_funded():
    result = lottery_allocation(NOTES, Funds(250), AllocationPolicy(max_per_country=None),
                                above=[1], grey=GREY, references=GREY, seed=SEED)
    assert result.funded_by_lot == [3]
    funded = result.table.loc[result.table["status"] == "funded", "note_id"].tolist()
    assert funded == [1, 3, 20]


def test_the_lottery_refuses_what_it_cannot_draw():
    policy = AllocationPolicy()
    with pytest.raises(ValueError, match="not among the candidates: 99"):
        lottery_allocation(NOTES, Funds(250), policy, above=[99], grey=GREY,
                           references=GREY, seed=SEED)
    with pytest.raises(ValueError, match="both above and in the grey zone: 3"):
        lottery_allocation(NOTES, Funds(250), policy, above=[3], grey=GREY,
                           references=GREY, seed=SEED)
    with pytest.raises(ValueError, match="without a reference: 12"):
        lottery_allocation(NOTES, Funds(250), policy, above=[1], grey=GREY,
                           references={k: v for k, v in GREY.items() if k != 12}, seed=SEED)
    with pytest.raises(ValueError, match="share a reference: MIG-2026-0003"):
        lottery_allocation(NOTES, Funds(250), policy, above=[1], grey=GREY,
                           references={**GREY, 7: "MIG-2026-0003"}, seed=SEED)
    assert refusal(lottery_allocation, NOTES, Funds(250), policy, above=[1], grey=GREY,
                   references=GREY, seed="1234") == \
        "A seed is 64 hexadecimal digits (0-9, a-f); this one is 4 characters long."


AREAS = [1, 2, 3]
REGIONS = ["Africa", "Americas", "Asia"]


@st.composite
def lotteries(draw):
    n = draw(st.integers(2, 12))
    rows = []
    for k in range(n):
        rows.append((k + 1, f"C{draw(st.integers(0, 4))}", draw(st.sampled_from(REGIONS)),
                     draw(st.sampled_from(AREAS)), draw(st.integers(1, 8)) * 50,
                     float(draw(st.integers(40, 100))), draw(st.booleans()) or k % 3 > 0,
                     draw(st.booleans()), draw(st.integers(0, 3)),
                     f"2026-01-{k + 1:02d}"))
    notes = cycle(rows)
    shares = st.sampled_from([0.0, 0.1, 0.2, 0.3])
    policy = AllocationPolicy(
        min_score=draw(st.sampled_from([0, 50, 60])),
        thematic_floor={a: draw(shares) for a in draw(st.sets(st.sampled_from(AREAS),
                                                             max_size=2))},
        thematic_cap={a: 0.6 for a in draw(st.sets(st.sampled_from(AREAS), max_size=1))},
        region_cap={r: 0.7 for r in draw(st.sets(st.sampled_from(REGIONS), max_size=1))},
        max_per_country=draw(st.sampled_from([None, 1, 2])),
        min_gender_marker=draw(st.sampled_from([None, 1])),
    )
    funds = Funds(draw(st.integers(0, 8)) * 50,
                  {a: draw(st.integers(0, 4)) * 50 for a in draw(st.sets(st.sampled_from(AREAS),
                                                                         max_size=2))})
    ids = notes["note_id"].tolist()
    zone = draw(st.lists(st.sampled_from(["above", "grey", "below"]), min_size=n, max_size=n))
    above = [i for i, z in zip(ids, zone, strict=True) if z == "above"]
    grey = [i for i, z in zip(ids, zone, strict=True) if z == "grey"]
    return notes, funds, policy, above, grey, draw(st.text("0123456789abcdef", min_size=64,
                                                           max_size=64))


@settings(max_examples=80, deadline=None)
@given(lotteries())
def test_the_lottery_is_the_allocator_on_the_drawn_order(case):
    """The allocator itself, made to try the notes in the lottery's order (its scores replaced
    by that order, every note it finds eligible counted), gives the same statuses and money."""
    notes, funds, policy, above, grey, seed = case
    references = {n: f"MIG-2026-{n:04d}" for n in grey}
    result = lottery_allocation(notes, funds, policy, above=above, grey=grey,
                                references=references, seed=seed)
    table = result.table
    eligible = ~table["status"].isin(["no_quorum", "below_min_score", "marker"])
    forced = notes.set_index("note_id").loc[table.loc[eligible, "note_id"]].reset_index()
    forced["score"] = np.arange(len(forced), 0, -1, dtype=np.float64)
    forced["champion"] = False
    forced["quorum_met"] = True
    same_rules = AllocationPolicy(require_quorum=False, thematic_floor=policy.thematic_floor,
                                  thematic_cap=policy.thematic_cap, region_cap=policy.region_cap,
                                  max_per_country=policy.max_per_country)
    if len(forced):
        plain = allocate(forced, funds, same_rules).table.set_index("note_id")
        mine = table.set_index("note_id").loc[plain.index]
        for column in ("status", "amount", "from_earmarked", "from_unearmarked"):
            assert mine[column].tolist() == plain[column].tolist(), column
    # The ineligible keep the allocator's reason, the grey zone's order is the draw's.
    point = allocate(notes, funds, policy).table.set_index("note_id")["status"]
    out = table.loc[~eligible].set_index("note_id")["status"]
    assert out.tolist() == point.loc[out.index].tolist()
    assert result.drawn == draw_order(seed, references.values())
    tried = table.loc[eligible]
    grey_tried = tried.loc[tried["zone"] == "grey", "note_id"].map(references).tolist()
    assert grey_tried == [r for r in result.drawn if r in set(grey_tried)]
    assert set(result.funded_by_lot) == set(tried.loc[(tried["zone"] == "grey")
                                                      & (tried["status"] == "funded"),
                                                      "note_id"])

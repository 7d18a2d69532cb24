"""Pure computation for mptf: rubric scoring, round aggregation, allocation and the totals
documents show. pandas and the standard library in, DataFrames and dataclasses out; no Flask,
no database.

Note: the function ``allocate`` is exported under the same name as the module
``scoring.allocate``; ``from scoring.allocate import X`` still reaches the module.
"""

from scoring.aggregate import aggregate_round as aggregate_round
from scoring.aggregate import calibrate_reviews as calibrate_reviews
from scoring.aggregate import criterion_means as criterion_means
from scoring.aggregate import score_reviews as score_reviews
from scoring.allocate import STATUSES as STATUSES
from scoring.allocate import Allocation as Allocation
from scoring.allocate import AllocationPolicy as AllocationPolicy
from scoring.allocate import AllocationSummary as AllocationSummary
from scoring.allocate import Funds as Funds
from scoring.allocate import allocate as allocate
from scoring.reasons import explain as explain
from scoring.reasons import money_left as money_left
from scoring.rubric import Criterion as Criterion
from scoring.rubric import Rubric as Rubric
from scoring.summaries import allocation_totals as allocation_totals
from scoring.summaries import demand as demand
from scoring.summaries import transfer_totals as transfer_totals

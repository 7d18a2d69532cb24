"""Pure computation for mptf: rubric scoring, round aggregation and allocation.

pandas and the standard library in, DataFrames and dataclasses out; no Flask, no database.
"""
from scoring.rubric import Criterion as Criterion
from scoring.rubric import Rubric as Rubric
from scoring.aggregate import score_reviews as score_reviews
from scoring.aggregate import aggregate_round as aggregate_round
from scoring.aggregate import calibrate_reviews as calibrate_reviews
from scoring.aggregate import criterion_means as criterion_means

"""The fund's pipeline configuration: the budget floor and ceiling of a note, its longest
duration, the fewest participating UN organisations and how long a screened note stays in the
rolling pipeline. Only the Network Secretariat changes it, through ``configure_pipeline``,
which checks the values, records the change in the audit log and flushes (the caller
commits)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from mptf.extensions import db
from mptf.formatting import usd
from mptf.models import FundConfig
from mptf.models.accounts import Actor, Role
from mptf.money import MAX_CENTS
from mptf.pipeline.services import fund_config
from mptf.services.audit import record
from mptf.services.errors import NotAllowed, ServiceError

# The ranges the configuration page states and this service enforces.
MAX_MONTHS = 120
MAX_MIN_PUNOS = 20


@dataclass(frozen=True)
class PipelineSettings:
    budget_floor_cents: int
    budget_ceiling_cents: int
    max_duration_months: int
    min_punos: int
    pipeline_validity_months: int


def _settings_of(config: FundConfig) -> PipelineSettings:
    return PipelineSettings(**{f.name: getattr(config, f.name) for f in fields(PipelineSettings)})


def current_settings() -> PipelineSettings:
    return _settings_of(fund_config())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def problems(settings: PipelineSettings) -> dict[str, list[str]]:
    """Each value outside its range, with a sentence, by the form's field names."""
    found: dict[str, list[str]] = {}
    floor, ceiling = settings.budget_floor_cents, settings.budget_ceiling_cents
    if not _is_int(floor) or not 0 <= floor <= MAX_CENTS:
        found["budget_floor"] = [f"The floor is between {usd(0)} and {usd(MAX_CENTS)}."]
    if not _is_int(ceiling) or not 0 <= ceiling <= MAX_CENTS:
        found["budget_ceiling"] = [f"The ceiling is between {usd(0)} and {usd(MAX_CENTS)}."]
    elif "budget_floor" not in found and ceiling < floor:
        found["budget_ceiling"] = ["The ceiling cannot be below the floor."]
    for name, label, most in (
            ("max_duration_months", "The maximum duration", MAX_MONTHS),
            ("min_punos", "The minimum of participating UN organisations", MAX_MIN_PUNOS),
            ("pipeline_validity_months", "The pipeline validity", MAX_MONTHS)):
        value = getattr(settings, name)
        if not _is_int(value) or not 1 <= value <= most:
            found[name] = [f"{label} is between 1 and {most}."]
    return found


def configure_pipeline(actor: Actor, settings: PipelineSettings) -> PipelineSettings:
    """Save ``settings`` as the fund's pipeline configuration and record what it was before;
    refused for anyone but the secretariat, or with every value out of its range named.
    Returns the configuration as it was before."""
    if actor.role != Role.SECRETARIAT:
        raise NotAllowed("Only the Network Secretariat may change the fund's pipeline "
                         "configuration.")
    found = problems(settings)
    if found:
        count = sum(len(v) for v in found.values())
        raise ServiceError(f"The configuration is not saved: {count} value"
                           f"{'s are' if count != 1 else ' is'} out of range.", fields=found)
    config = fund_config()
    db.session.refresh(config, with_for_update=True)  # two saves at once are recorded in turn
    before = _settings_of(config)
    for name, value in asdict(settings).items():
        setattr(config, name, value)
    record(actor, "fund_config_changed", config, before=asdict(before), after=asdict(settings))
    db.session.flush()
    return before

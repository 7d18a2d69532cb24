"""All models, imported here so that Alembic and the app see every table."""

from mptf.models.accounts import (
    ROLE_LABELS,
    ROLES,
    ApiRateLimit,
    ApiToken,
    LoginThrottle,
    User,
)
from mptf.models.audit import AuditEvent
from mptf.models.committee import (
    CONSTITUENCIES,
    CONSTITUENCY_LABELS,
    VOTING_CONSTITUENCIES,
    ConflictDeclaration,
    Membership,
    MembershipRepresentative,
    RotationOrder,
    Seat,
)
from mptf.models.money import (
    Allocation,
    AllocationRun,
    AllocationRunLine,
    Contribution,
    CycleExclusion,
    Decision,
    DecisionAttendance,
    FundingCycle,
    IssuedDocument,
    TransferLine,
)
from mptf.models.notifications import (
    NOTIFICATION_EVENTS,
    NOTIFICATION_STATES,
    Notification,
    NotificationPreference,
)
from mptf.models.pipeline import (
    NOTE_STATUSES,
    Attachment,
    ConceptNote,
    ConceptNoteVersion,
    NotePrinciple,
    PunoBudgetLine,
    Screening,
)
from mptf.models.reference import (
    REGIONS,
    Country,
    CountryNetwork,
    CountryNetworkMember,
    FundConfig,
    GcmObjective,
    GuidingPrinciple,
    Organisation,
    ThematicArea,
)
from mptf.models.review import (
    Assignment,
    Reminder,
    Review,
    ReviewRound,
    RoundCriterion,
    RoundNote,
    Score,
)

__all__ = [
    "CONSTITUENCIES", "CONSTITUENCY_LABELS", "NOTE_STATUSES", "NOTIFICATION_EVENTS",
    "NOTIFICATION_STATES", "Notification", "NotificationPreference", "REGIONS", "ROLES", "ROLE_LABELS",
    "VOTING_CONSTITUENCIES", "Allocation", "AllocationRun", "AllocationRunLine", "ApiRateLimit",
    "ApiToken", "Assignment",
    "Attachment", "AuditEvent", "ConceptNote", "ConceptNoteVersion", "ConflictDeclaration",
    "Contribution", "Country", "CountryNetwork", "CountryNetworkMember", "CycleExclusion",
    "Decision",
    "DecisionAttendance", "FundConfig", "FundingCycle", "GcmObjective", "GuidingPrinciple",
    "IssuedDocument", "LoginThrottle", "Membership", "MembershipRepresentative", "NotePrinciple",
    "Organisation", "PunoBudgetLine", "Reminder", "Review", "ReviewRound", "RotationOrder",
    "RoundCriterion", "RoundNote", "Score", "Screening", "Seat", "ThematicArea", "TransferLine",
    "User",
]

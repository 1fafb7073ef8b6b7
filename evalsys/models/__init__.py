"""The models, one module per aggregate; importing this package registers every table."""
from .account import (  # noqa: F401
    ROLE_LABELS,
    AccountState,
    FormStash,
    LoginFailure,
    Organisation,
    OrganisationState,
    Role,
    SystemFlag,
    User,
    UserSession,
)
from .audit import AuditChain, AuditHead, AuditRecord  # noqa: F401
from .authority import Authority, AuthorityKind  # noqa: F401
from .file import StoredFile  # noqa: F401
from .call import Call, CallKind, QuotaCounter, RecommendationLetter  # noqa: F401
from .application import (  # noqa: F401
    Application,
    ApplicationAttachment,
    AttachmentKind,
    Notification,
    Transition,
)
from .messaging import OutboundEmail, ReminderSent  # noqa: F401
from .reset import PasswordResetToken  # noqa: F401
from .summary import SummaryCollection, SummarySubmission  # noqa: F401
from .review import (  # noqa: F401
    Assignment,
    AssignmentState,
    ConflictDeclaration,
    ReviewerProfile,
    ReviewerState,
    Score,
    ScoreSheet,
    SheetState,
)
from .run import RankingRun  # noqa: F401
from .decision import (  # noqa: F401
    CallAnnouncement,
    Objection,
    ObjectionState,
    Proposal,
    ProposalState,
    PublicityEntry,
)
from .typical_case import CaseState, TypicalCase, TypicalCaseImage  # noqa: F401
from .totp import RecoveryCode, TotpCredential  # noqa: F401
from .types import UTCDateTime, utcnow  # noqa: F401
from .weights import WeightVersion  # noqa: F401
from .funds import (  # noqa: F401
    Allocation,
    BaseTarget,
    ComplianceFlag,
    Expenditure,
    FirstBatchBase,
    FlagEvent,
    FlagState,
    FundAccount,
    FundRecovery,
    FundRecoveryItem,
    Tranche,
)
from .plan_target import BaseTargetVersion  # noqa: F401
from .sanction import AllocationOverride, OverrideState  # noqa: F401
from .form_token import UsedFormToken  # noqa: F401
from .evaluation import (  # noqa: F401
    BatchItem,
    BatchJob,
    Evaluation,
    EvaluationAttachment,
    EvaluationEvent,
    EvaluationRound,
    EvaluationScore,
    EvaluationValue,
    IssuedReport,
    JobState,
    Rectification,
    ReportStatus,
)
from .api import ApiToken, IdempotencyKey, TokenStatus  # noqa: F401
from .round_summary import RoundSummaryReport  # noqa: F401
from .receipt import SubmissionReceipt  # noqa: F401

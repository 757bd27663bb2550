"""Every domain's models, imported so that Alembic and relationships see them all."""

from app.applications.models import (  # noqa: F401
    Application,
    ApplicationDraft,
    ApplicationEvent,
)
from app.audit.models import AccessLogEntry, AuditVerification  # noqa: F401
from app.auth.models import ApiToken, RecoveryCode, User  # noqa: F401
from app.banks.models import Bank  # noqa: F401
from app.consent.models import (  # noqa: F401
    Authorization,
    AuthorizationScope,
    ConsentText,
    PullRequest,
)
from app.disputes.models import Dispute, DisputeEvent  # noqa: F401
from app.enterprises.models import Enterprise, Industry, Region  # noqa: F401
from app.funds.models import (  # noqa: F401
    Claim,
    Fund,
    LedgerEntry,
    LedgerLine,
    Recovery,
    Registration,
)
from app.identity.models import AccountEvent  # noqa: F401
from app.ingest import models as ingest_models  # noqa: F401 - batches, source records
from app.loans.models import Loan, LoanReport  # noqa: F401
from app.notices.models import Notice  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.products.models import Product  # noqa: F401
from app.profiles.models import CurrentProfile, ProfileSnapshot  # noqa: F401
from app.publicity.models import PublicityRule, PublicityTier  # noqa: F401
from app.repairs.models import (  # noqa: F401
    CommitmentText,
    Repair,
    RepairEvent,
    RepairFile,
)
from app.reports.models import CreditReport, ReportVerification  # noqa: F401
from app.scheduler.models import JobRun, SchedulerLease  # noqa: F401
from app.scoring.models import Scorecard  # noqa: F401
from app.sources.models import DataSource  # noqa: F401
from app.stats.models import (  # noqa: F401
    StatsCalendar,
    StatsIndicator,
    StatsMonthly,
    StatsRollupMonth,
)
from app.workcalendar.models import CalendarDay  # noqa: F401

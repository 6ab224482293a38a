"""The portal's records: what the use cases take and return and what the repositories keep,
with the errors the use cases raise and the notices they hand the `Notifier`.

Records hold data and small derived properties, never a decision: the rules are modules of
their own (`identifiers`, `identity`, `company_register`, `contacts`, `voice_password`,
`documents`, `miniapp`, `forms`), the ports are `portal.ports`, the use cases the other
modules. This package imports only rules, so the ports and every use case can import it
without a circle.

One module per topic, each short enough to read at once; import from `portal.model`, which
names them all: the place of a record is this package, not the file it is in.
"""

from __future__ import annotations

from portal.model.activity import Action, ActivityEvent
from portal.model.api_tokens import ApiTokenRecord, BadTokenRequest, TokenNameTaken
from portal.model.clients import (
    AlreadyRegistered,
    ClientAccess,
    ClientKind,
    ClientList,
    ClientRecord,
    ClientUser,
    Consultant,
    MembershipStatus,
    NewClient,
    NoAccess,
    NotLinked,
    Role,
    UserExists,
)
from portal.model.deals import DealData, DealRecord, DealStatus, InvoiceData, InvoiceRecord
from portal.model.errors import Conflict, Invalid, NotFound
from portal.model.feed import EventType, FeedEvent
from portal.model.files import ClientFile, ForeignFile, ReceivedDocument, Staged
from portal.model.limits import MAX_LOGIN_LINK_MINUTES, TimeLimits
from portal.model.notices import (
    AccessBlocked,
    AccessGranted,
    AccessRestored,
    DealAdded,
    InvoiceAdded,
    Notice,
    RegistrationApproved,
    RegistrationRejected,
    RejectionReason,
    ReminderDue,
)
from portal.model.people import (
    IssuedLink,
    LinkResult,
    LoginFlowRecord,
    PersonRecord,
    TelegramAccount,
)
from portal.model.printed import (
    Block,
    Bullets,
    Fields,
    Heading,
    Paragraph,
    PrintedDocument,
)
from portal.model.registration import (
    AwaitingReview,
    CompanyCheck,
    ConfirmationExpired,
    ConfirmedRegistration,
    Detail,
    InvalidDetail,
    PendingRegistration,
    Refused,
    RegistrationDraft,
    RegistrationRecord,
    RegistrationRefused,
    RegistrationStatus,
)
from portal.model.reminders import (
    NewReminder,
    NotificationPreferences,
    Reminder,
    ReminderKind,
    ReminderPolicy,
)

__all__ = [
    "MAX_LOGIN_LINK_MINUTES",
    "AccessBlocked",
    "AccessGranted",
    "AccessRestored",
    "Action",
    "ActivityEvent",
    "AlreadyRegistered",
    "ApiTokenRecord",
    "AwaitingReview",
    "BadTokenRequest",
    "Block",
    "Bullets",
    "ClientAccess",
    "ClientFile",
    "ClientKind",
    "ClientList",
    "ClientRecord",
    "ClientUser",
    "CompanyCheck",
    "ConfirmationExpired",
    "ConfirmedRegistration",
    "Conflict",
    "Consultant",
    "DealAdded",
    "DealData",
    "DealRecord",
    "DealStatus",
    "Detail",
    "EventType",
    "FeedEvent",
    "Fields",
    "ForeignFile",
    "Heading",
    "Invalid",
    "InvalidDetail",
    "InvoiceAdded",
    "InvoiceData",
    "InvoiceRecord",
    "IssuedLink",
    "LinkResult",
    "LoginFlowRecord",
    "MembershipStatus",
    "NewClient",
    "NewReminder",
    "NoAccess",
    "NotFound",
    "NotLinked",
    "Notice",
    "NotificationPreferences",
    "Paragraph",
    "PendingRegistration",
    "PersonRecord",
    "PrintedDocument",
    "ReceivedDocument",
    "Refused",
    "RegistrationApproved",
    "RegistrationDraft",
    "RegistrationRecord",
    "RegistrationRefused",
    "RegistrationRejected",
    "RegistrationStatus",
    "RejectionReason",
    "Reminder",
    "ReminderDue",
    "ReminderKind",
    "ReminderPolicy",
    "Role",
    "Staged",
    "TelegramAccount",
    "TimeLimits",
    "TokenNameTaken",
    "UserExists",
]

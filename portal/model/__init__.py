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
from portal.model.administration import (
    Administered,
    LastMainUser,
    NoClientChosen,
    NotMainUser,
    UserLine,
)
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
from portal.model.guide import GuideSection
from portal.model.information import (
    KIND_ACTIONS,
    ActivityEntry,
    ActivityKind,
    ActivityPage,
    DealInvoices,
    InvoiceLine,
    Period,
)
from portal.model.limits import MAX_LOGIN_LINK_MINUTES, TimeLimits
from portal.model.notices import (
    AccessBlocked,
    AccessBlockedByMainUser,
    AccessGranted,
    AccessGrantedByMainUser,
    AccessRestored,
    AccessRestoredByMainUser,
    DealAdded,
    InvoiceAdded,
    Notice,
    RegistrationApproved,
    RegistrationRejected,
    RejectionReason,
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
from portal.model.profile import ClientInformation, ConfirmedEmail, PersonContacts, Profile
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
from portal.model.waiting import Waiting

__all__ = [
    "KIND_ACTIONS",
    "MAX_LOGIN_LINK_MINUTES",
    "AccessBlocked",
    "AccessBlockedByMainUser",
    "AccessGranted",
    "AccessGrantedByMainUser",
    "AccessRestored",
    "AccessRestoredByMainUser",
    "Action",
    "ActivityEntry",
    "ActivityEvent",
    "ActivityKind",
    "ActivityPage",
    "Administered",
    "AlreadyRegistered",
    "ApiTokenRecord",
    "AwaitingReview",
    "BadTokenRequest",
    "Block",
    "Bullets",
    "ClientAccess",
    "ClientFile",
    "ClientInformation",
    "ClientKind",
    "ClientList",
    "ClientRecord",
    "ClientUser",
    "CompanyCheck",
    "ConfirmationExpired",
    "ConfirmedEmail",
    "ConfirmedRegistration",
    "Conflict",
    "Consultant",
    "DealAdded",
    "DealData",
    "DealInvoices",
    "DealRecord",
    "DealStatus",
    "Detail",
    "EventType",
    "FeedEvent",
    "Fields",
    "ForeignFile",
    "GuideSection",
    "Heading",
    "Invalid",
    "InvalidDetail",
    "InvoiceAdded",
    "InvoiceData",
    "InvoiceLine",
    "InvoiceRecord",
    "IssuedLink",
    "LastMainUser",
    "LinkResult",
    "LoginFlowRecord",
    "MembershipStatus",
    "NewClient",
    "NoAccess",
    "NoClientChosen",
    "NotFound",
    "NotLinked",
    "NotMainUser",
    "Notice",
    "Paragraph",
    "PendingRegistration",
    "Period",
    "PersonContacts",
    "PersonRecord",
    "PrintedDocument",
    "Profile",
    "ReceivedDocument",
    "Refused",
    "RegistrationApproved",
    "RegistrationDraft",
    "RegistrationRecord",
    "RegistrationRefused",
    "RegistrationRejected",
    "RegistrationStatus",
    "RejectionReason",
    "Role",
    "Staged",
    "TelegramAccount",
    "TimeLimits",
    "TokenNameTaken",
    "UserExists",
    "UserLine",
    "Waiting",
]

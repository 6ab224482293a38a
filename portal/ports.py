"""Every port: what the use cases need from the outside world, as Protocols.

`storage/` implements the unit of work with its repositories (the Company Register's last
import among them), `integrations/identity/` the identity providers, `integrations/files/`
the file store, inspector and binder; `tests/fakes.py` implements all of them in memory.
Ports import only records (`portal.model`) and rules, never a use case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from portal.company_register import RegisterEntry
from portal.documents import DocumentRules, Inspection, Refusal
from portal.identity import FlowStart, NaturalPerson, ProviderIdentity
from portal.model import (
    ActivityEvent,
    ApiTokenRecord,
    ClientAccess,
    ClientFile,
    ClientRecord,
    ClientUser,
    Consultant,
    DealRecord,
    DealWrite,
    FeedEvent,
    InvoicePut,
    InvoiceRecord,
    InvoiceWrite,
    LoginFlowRecord,
    NewClient,
    NewReminder,
    Notice,
    NotificationPreferences,
    PendingRegistration,
    PersonContacts,
    PersonRecord,
    PrintedDocument,
    RegistrationRecord,
    RegistrationStatus,
    Reminder,
    Staged,
    StoredAnswer,
    TelegramAccount,
    Waiting,
)
from portal.model.applications import (
    ApplicationPage,
    ApplicationRecord,
    ApplicationStatus,
    NewApplication,
    SignatureConfirmation,
    SignatureRecord,
)
from portal.model.messages import (
    DocumentRecord,
    MessageRecord,
    MessageStatus,
    NewAttachment,
    Page,
    Subject,
    ThreadQuery,
    ThreadSummary,
)

# --- the unit of work and its repositories -------------------------------------------------


class TelegramAccounts(Protocol):
    async def get(self, telegram_user_id: int) -> TelegramAccount | None:
        """A copy: changes count only once `save`d."""

    async def save(self, account: TelegramAccount) -> None: ...

    async def find_by_person(self, person_id: int) -> TelegramAccount | None: ...


class ActivityLog(Protocol):
    async def record(self, event: ActivityEvent) -> None: ...

    async def of_client(
        self,
        client_id: int,
        *,
        since: datetime | None,
        actions: Sequence[str] | None,
        offset: int,
        limit: int,
    ) -> tuple[list[ActivityEvent], int]:
        """A client's events, newest first, and how many match in all."""


class Persons(Protocol):
    async def get(self, person_id: int) -> PersonRecord | None: ...

    async def find_by_code(self, personal_code: str) -> PersonRecord | None:
        """By the current code or an earlier one."""

    async def save(self, person: NaturalPerson, *, person_id: int | None) -> int:
        """Insert or update; the current code and the earlier ones; returns the id."""


class LoginLinks(Protocol):
    async def add(
        self, *, token_hash: str, telegram_user_id: int, created_at: datetime, expires_at: datetime
    ) -> None: ...

    async def peek(self, token_hash: str, *, now: datetime) -> int | None:
        """The Telegram user a valid, unused link belongs to."""

    async def consume(self, token_hash: str, *, telegram_user_id: int, now: datetime) -> bool:
        """Mark a valid link of this user used, atomically: of two concurrent calls one wins.
        Another user's link is left as it was."""

    async def revoke_unused(self, telegram_user_id: int, *, now: datetime) -> None: ...

    async def purge(self, *, now: datetime) -> int: ...


class LoginFlows(Protocol):
    async def add(self, flow: LoginFlowRecord) -> None: ...

    async def consume(self, session_hash: str, *, now: datetime) -> LoginFlowRecord | None: ...

    async def purge(self, *, now: datetime) -> int: ...


class UsedAssertions(Protocol):
    async def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """Remember the key; False if it was seen before (a replay)."""


class Clients(Protocol):
    async def accessible(self, person_id: int) -> list[ClientAccess]:
        """Active memberships at active clients, by client name."""

    async def access(self, person_id: int, client_id: int) -> ClientAccess | None: ...

    async def exists(
        self, *, registration_number: str | None = None, personal_code: str | None = None
    ) -> bool: ...

    async def create(self, client: NewClient) -> int:
        """Raises `portal.model.AlreadyRegistered` when the number is taken."""

    async def add_membership(
        self, *, person_id: int, client_id: int, role: str, is_signatory: bool
    ) -> None: ...

    async def get(self, client_id: int) -> ClientRecord | None: ...

    async def name(self, client_id: int) -> str | None:
        """The client's name, if it exists: the one read a write needs (cheaper than `get`)."""

    async def find_by_number(self, registration_number: str) -> ClientRecord | None: ...

    async def replace_details(self, client_id: int, client: NewClient) -> None:
        """Contacts, voice password and terms from another registration of the client."""

    async def delete(self, client_id: int) -> None:
        """The client and everything of it (memberships, deals, invoices, its log)."""


class Registrations(Protocol):
    async def add(self, registration: PendingRegistration) -> int: ...

    async def take(self, token_hash: str, *, now: datetime) -> PendingRegistration | None:
        """Mark an unexpired registration confirmed and return it: a link confirms once."""

    async def peek(self, token_hash: str, *, now: datetime) -> PendingRegistration | None: ...

    async def purge(self, *, now: datetime) -> int:
        """Delete registrations whose e-mail link expired unopened."""

    async def get(self, registration_id: int) -> RegistrationRecord | None: ...

    async def details(self, registration_id: int) -> PendingRegistration | None:
        """What the registrant submitted (the client's contacts, voice password, terms)."""

    async def listed(
        self, *, status: RegistrationStatus | None, limit: int
    ) -> list[RegistrationRecord]: ...

    async def of_client(self, client_id: int) -> list[RegistrationRecord]:
        """Oldest first."""

    async def set_status(
        self,
        registration_id: int,
        status: RegistrationStatus,
        *,
        client_id: int | None = None,
        reviewed_at: datetime | None = None,
    ) -> None: ...

    async def delete(self, registration_id: int) -> None: ...

    async def awaiting_review(self, *, person_id: int, client_id: int) -> bool:
        """Whether this person's registration of this client still waits for ALTUM."""


class ClientUsers(Protocol):
    """Memberships as ALTUM administers them."""

    async def of_client(self, client_id: int) -> list[ClientUser]: ...

    async def get(self, client_id: int, user_id: int) -> ClientUser | None: ...

    async def find(self, *, client_id: int, person_id: int) -> ClientUser | None: ...

    async def of_person(self, person_id: int) -> list[ClientUser]: ...

    async def add(self, *, client_id: int, person_id: int, role: str, is_signatory: bool) -> int:
        """A new active membership; its id."""

    async def update(self, user_id: int, *, role: str, status: str) -> None: ...

    async def remove(self, *, client_id: int, person_id: int) -> None: ...

    async def active_people(self, client_id: int) -> list[int]:
        """The person ids of active memberships (at an active client)."""


class Consultants(Protocol):
    async def get(self, client_id: int) -> Consultant | None: ...

    async def put(self, client_id: int, consultant: Consultant, *, now: datetime) -> None: ...


class Deals(Protocol):
    async def get(self, client_id: int, number: str) -> DealRecord | None: ...

    async def of_client(self, client_id: int) -> list[DealRecord]: ...

    async def put_many(self, writes: Sequence[DealWrite]) -> list[tuple[DealRecord, bool] | None]:
        """Insert or update each, in one statement (a key written twice: in two); True when
        it was inserted. None for a write whose client is not there (found by the same
        statement)."""


class Invoices(Protocol):
    async def get(self, deal: DealRecord, number: str) -> InvoiceRecord | None: ...

    async def of_deal(self, deal: DealRecord) -> list[InvoiceRecord]: ...

    async def put_many(
        self, writes: Sequence[InvoiceWrite], *, with_people: bool = False
    ) -> list[InvoicePut | None]:
        """Insert or update each into the client's deal of its number, found by the same
        statement (one for all; a key written twice: two). `with_people`: each comes back
        with its client's active users (as `ClientUsers.active_people`). None for a write
        whose deal is not there."""


class ApiTokens(Protocol):
    async def add(
        self, *, name: str, token_hash: str, scopes: tuple[str, ...], created_at: datetime
    ) -> ApiTokenRecord:
        """Raises `portal.model.TokenNameTaken` when the name is in use."""

    async def by_hash(self, token_hash: str) -> ApiTokenRecord | None: ...

    async def touch(self, token_id: int, *, now: datetime) -> None: ...

    async def listed(self) -> list[ApiTokenRecord]: ...

    async def remove(self, name: str) -> bool: ...


class ApiAnswers(Protocol):
    """Answers kept by a token's idempotency keys (portal/idempotency.py)."""

    async def claim(
        self, *, token_id: int, key: str, fingerprint: str, now: datetime
    ) -> StoredAnswer | None:
        """Takes the key for this request (None), or gives what is kept by it. A request with
        the key in flight in another transaction is waited for: its answer, once committed,
        is what is given; rolled back, it leaves the key to this one."""

    async def reclaim(self, *, token_id: int, key: str, fingerprint: str, now: datetime) -> None:
        """Takes a key whose kept answer is too old to give."""

    async def keep(self, *, token_id: int, key: str, status: int, body: str) -> None:
        """The answer of the request that claimed the key, in its transaction."""

    async def purge(self, *, older_than: datetime) -> int: ...


class Feed(Protocol):
    """The event feed. Positions are given at commit, in commit order."""

    async def publish(self, event: FeedEvent) -> None: ...

    async def after(self, position: int, *, limit: int) -> list[FeedEvent]: ...


class FeedSignal(Protocol):
    async def wait(self, seconds: float) -> None:
        """Return when events may have been committed (in this process), or after `seconds`."""


class Notifier(Protocol):
    """Tells people in chat, in their language, in the transaction of the change."""

    async def notify(self, notice: Notice) -> None: ...


class WaitingWork(Protocol):
    """What waits for a person at a client (the main menu's header): counts, each cheap. The
    signatures the Company Register's rule decides are counted by the use case, not here."""

    async def for_person(self, *, person_id: int, client_id: int) -> Waiting: ...


class PersonContactsStore(Protocol):
    """A person's own contacts; a new e-mail waits for its link (only the token's hash)."""

    async def get(self, person_id: int) -> PersonContacts: ...

    async def set_phone(self, person_id: int, phone: str, *, now: datetime) -> None: ...

    async def request_email(
        self, person_id: int, email: str, *, token_hash: str, expires_at: datetime, now: datetime
    ) -> None:
        """Replaces an earlier pending e-mail (its link stops working)."""

    async def confirm_email(self, token_hash: str, *, now: datetime) -> tuple[int, str] | None:
        """The pending e-mail of an unexpired link becomes the person's: (person id, e-mail).
        A link confirms once: of two concurrent calls one wins."""


class Reminders(Protocol):
    """Scheduled reminders (see docs/architecture.md, "Pushes and reminders")."""

    async def schedule(self, reminder: NewReminder, *, now: datetime) -> int:
        """Add it, or replace the schedule of the one with the same key (sent count reset)."""

    async def schedule_many(
        self, reminders: Sequence[NewReminder], *, now: datetime, only_missing: bool = False
    ) -> None:
        """`schedule` for each, together; their keys are distinct. Done before the reminders'
        next use in this transaction or before its COMMIT at the latest (so that a batch's
        schedules go in one statement). `only_missing`: a reminder whose key is scheduled
        already is left as it is (its sent count, its snooze)."""

    async def cancel(self, key: str) -> int: ...

    async def cancel_prefix_later(self, prefix: str) -> None:
        """`cancel_prefix`, done before the reminders' next use in this transaction or before
        its COMMIT at the latest (so that a batch's cancellations go together)."""

    async def cancel_prefix(self, prefix: str) -> int:
        """Every reminder whose key starts with `prefix` (`signature:<application>:`)."""

    async def get(self, reminder_id: int) -> Reminder | None: ...

    async def of_key(self, key: str) -> Reminder | None: ...

    async def claim_due(self, *, now: datetime, limit: int) -> list[Reminder]:
        """Due ones, locked to this transaction (another process skips them)."""

    async def move(self, reminder_id: int, *, due_at: datetime, sent_count: int) -> None: ...

    async def delete(self, reminder_id: int) -> None: ...


class NotificationPreferencesStore(Protocol):
    async def get(self, person_id: int) -> NotificationPreferences: ...

    async def save(self, preferences: NotificationPreferences, *, now: datetime) -> None: ...


class CompanyRegister(Protocol):
    """The last imported copy of the Company Register."""

    async def find(self, regcode: str) -> RegisterEntry | None: ...


class Applications(Protocol):
    """Applications and their signatures. Reads by the chat are scoped to a client."""

    async def add(self, application: NewApplication) -> ApplicationRecord: ...

    async def get(self, client_id: int, application_id: int) -> ApplicationRecord | None: ...

    async def by_id(self, application_id: int) -> ApplicationRecord | None:
        """For ALTUM's API, which sees every client."""
        ...

    async def lock(self, client_id: int, application_id: int) -> ApplicationRecord | None:
        """`get` holding the row until the transaction ends (`SELECT … FOR UPDATE` on
        PostgreSQL), so that two signers or a double tap decide one after the other."""
        ...

    async def save(self, application: ApplicationRecord) -> None: ...

    async def delete(self, client_id: int, application_id: int) -> None: ...

    async def documents_in_use(self, client_id: int, document_ids: Collection[str]) -> set[str]:
        """Of these document ids, those an application of the client names in its answers."""

    async def page(
        self,
        client_id: int,
        *,
        before: int | None,
        limit: int,
        statuses: frozenset[ApplicationStatus] | None = None,
        deal_number: str | None = None,
        only_forms: frozenset[str] | None = None,
        without_forms: frozenset[str] = frozenset(),
    ) -> ApplicationPage:
        """Newest first, by id (keyset: `id < before`); `only_forms`/`without_forms` by form id
        (questionnaires share the table with applications)."""
        ...

    async def add_signature(self, signature: SignatureRecord) -> None: ...

    async def signatures(self, application_id: int) -> list[SignatureRecord]:
        """Valid and void alike, oldest first."""
        ...

    async def void_signatures(self, application_id: int) -> list[SignatureRecord]:
        """Marks every valid one void; returns those it voided."""
        ...

    async def add_confirmation(self, confirmation: SignatureConfirmation) -> None:
        """Replaces the user's unused ones: the newest «Parakstīt» counts."""
        ...

    async def confirmation(self, token_hash: str, *, now: datetime) -> SignatureConfirmation | None:
        """Unused and unexpired; uses nothing up."""
        ...

    async def use_confirmation(
        self, token_hash: str, *, telegram_user_id: int, now: datetime
    ) -> SignatureConfirmation | None:
        """Used up once, only by its user (one conditional statement: of two racers one wins)."""
        ...

    async def purge_confirmations(self, *, now: datetime) -> int:
        """Deletes the used and the expired ones; how many."""
        ...


class Messages(Protocol):
    """Threads and messages with ALTUM. Every read names the client: a thread or message
    of another client is not found."""

    async def threads(
        self, client_id: int, query: ThreadQuery, *, offset: int, limit: int
    ) -> Page[ThreadSummary]:
        """Newest first (by the time of the last message)."""

    async def thread(self, client_id: int, thread_id: int) -> ThreadSummary | None: ...

    async def messages(self, client_id: int, thread_id: int) -> list[MessageRecord]:
        """Oldest first."""

    async def message(self, client_id: int, message_id: int) -> MessageRecord | None: ...

    async def message_by_id(self, message_id: int) -> MessageRecord | None:
        """For ALTUM's API, which sees every client."""

    async def start_thread(
        self, client_id: int, subject: str, about: Subject, *, now: datetime
    ) -> int: ...

    async def add_message(
        self,
        client_id: int,
        thread_id: int,
        *,
        status: MessageStatus,
        body: str,
        now: datetime,
        person_id: int | None = None,
        actor: str | None = None,
    ) -> MessageRecord:
        """Also the thread's last message, status and unread count."""

    async def send_draft(self, client_id: int, message_id: int, *, now: datetime) -> bool:
        """A draft becomes sent; False when it is not a draft (any more)."""

    async def mark_read(self, client_id: int, thread_id: int, *, now: datetime) -> int:
        """ALTUM's unread messages of the thread read; how many."""

    async def unread(self, client_id: int) -> int: ...

    async def add_document(
        self,
        client_id: int,
        attachment: NewAttachment,
        *,
        incoming: bool,
        now: datetime,
        message_id: int | None = None,
        deal_id: int | None = None,
        sent_on: date | None = None,
    ) -> DocumentRecord: ...

    async def documents_of(self, client_id: int, thread_id: int) -> list[DocumentRecord]: ...

    async def document(self, client_id: int, document_id: int) -> DocumentRecord | None: ...

    async def document_by_id(self, document_id: int) -> DocumentRecord | None:
        """For ALTUM's API, which sees every client."""

    async def documents(self, client_id: int, *, offset: int, limit: int) -> Page[DocumentRecord]:
        """The client's documents, sent and received, newest first."""

    async def archived(self, client_id: int, *, offset: int, limit: int) -> Page[DocumentRecord]:
        """Documents sent through the old portal («Nosūtīto dokumentu arhīvs»), newest first."""

    async def drop_documents(self, client_id: int, document_ids: Collection[int]) -> int:
        """Delete those of the client's documents of these ids that only a form's answer
        refers to (of no message or deal, not in the archive, not from ALTUM); how many. The
        stored bytes stay (the content store is shared and may be named elsewhere) until the
        file sweeper finds nothing naming them (`bot/ops/file_sweeper.py`)."""


class UnitOfWork(Protocol):
    """One transaction. Repositories never commit; whoever opened the unit of work does."""

    @property
    def accounts(self) -> TelegramAccounts: ...

    @property
    def activity(self) -> ActivityLog: ...

    @property
    def persons(self) -> Persons: ...

    @property
    def login_links(self) -> LoginLinks: ...

    @property
    def login_flows(self) -> LoginFlows: ...

    @property
    def used_assertions(self) -> UsedAssertions: ...

    @property
    def clients(self) -> Clients: ...

    @property
    def registrations(self) -> Registrations: ...

    @property
    def company_register(self) -> CompanyRegister: ...

    @property
    def client_users(self) -> ClientUsers: ...

    @property
    def consultants(self) -> Consultants: ...

    @property
    def deals(self) -> Deals: ...

    @property
    def invoices(self) -> Invoices: ...

    @property
    def api_tokens(self) -> ApiTokens: ...

    @property
    def api_answers(self) -> ApiAnswers: ...

    @property
    def feed(self) -> Feed: ...

    @property
    def waiting(self) -> WaitingWork: ...

    @property
    def applications(self) -> Applications: ...

    @property
    def messages(self) -> Messages: ...

    @property
    def person_contacts(self) -> PersonContactsStore: ...

    @property
    def reminders(self) -> Reminders: ...

    @property
    def notification_preferences(self) -> NotificationPreferencesStore: ...


# --- identity providers --------------------------------------------------------------------


class IdentityProvider(Protocol):
    """One browser round trip: `start` sends the person away, `finish` reads the callback.

    `callback_url` is where the provider sends the browser back to. `params` are the
    callback's query and form parameters together. `finish` checks everything it can
    (state, nonce, signature, issuer, audience, validity) and raises
    `portal.identity.IdentityError`.
    """

    name: str

    async def start(self, *, callback_url: str) -> FlowStart: ...

    async def finish(
        self, *, callback_url: str, params: Mapping[str, str], flow_state: Mapping[str, str]
    ) -> ProviderIdentity: ...


# --- files ---------------------------------------------------------------------------------


class ByteSource(Protocol):
    """Where the bytes come from; aiohttp's `StreamReader` (`response.content`) is one."""

    async def read(self, n: int = -1, /) -> bytes:
        """Up to `n` bytes; b"" at the end."""


class FileStore(Protocol):
    async def stage(self, source: ByteSource, *, max_bytes: int) -> Staged | None:
        """Copy the source to a temporary file, reading at most `max_bytes` + 1 bytes; None
        (and nothing left behind) when there were more than `max_bytes`."""

    async def commit(self, staged: Staged) -> None:
        """Durably keep the staged file under its hash (once per content); it is gone from
        staging afterwards."""

    async def discard(self, staged: Staged) -> None:
        """Delete a staged file that was not committed; nothing happens if it was."""

    def path(self, file: ClientFile) -> Path:
        """Where a stored file is, for sending it on (Telegram's `sendDocument`)."""

    def chunks(self, file: ClientFile) -> AsyncIterator[bytes]:
        """A stored file's bytes, checked against its hash at the end."""

    def keep(self, sha256: str) -> bool:
        """Mark a stored file as in use now, for a holder that names it without any row (the
        sweeper leaves recently kept files alone); False if it is gone (then store it again)."""


class DocumentInspector(Protocol):
    async def inspect(
        self, path: Path, *, declared_name: str | None, rules: DocumentRules
    ) -> Inspection | Refusal: ...


class PhotoBinder(Protocol):
    async def bind(self, pages: Sequence[Path], *, rules: DocumentRules) -> bytes | Refusal:
        """One PDF with a page per picture, in order."""

    async def page_count(self, path: Path) -> int: ...


class PdfWriter(Protocol):
    def render(self, document: PrintedDocument) -> bytes:
        """The document as a PDF (CPU-bound: callers on the event loop use a thread)."""

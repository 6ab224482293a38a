"""The portal's rules and use cases: plain Python, no framework, no database.

In order, each layer importing only those below it (import-linter keeps it so):

- use cases: the chat's `accounts`, `clients`, `linking`, `registration`, `uploads`, and
  ALTUM's back office `client_admin`, `client_users`, `deals`, `review`, `api_tokens`,
  `feed`: keyword-only functions that take a unit of work (`portal.ports.UnitOfWork`) or
  the ports they need, validate their whole input and never commit: the caller's unit of
  work commits once, so a use case is all or nothing;
- `ports`: every Protocol the use cases need, implemented by `storage/`, `integrations/` and
  the runtime (the `Notifier`);
- `model`: the records the use cases take and return, their errors and notices (a package of
  one module per topic);
- rules: `identifiers`, `identity`, `company_register`, `contacts`, `voice_password`,
  `documents`, `miniapp`, `languages`, `tokens` and the form engine `forms/`: pure functions
  and the values they speak in.
"""

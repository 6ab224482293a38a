"""The portal's rules and use cases: plain Python, no framework, no database.

In order, each layer importing only those below it (import-linter keeps it so):

- use cases: `accounts`, `clients`, `linking`, `registration`, `uploads`: keyword-only
  functions that take a unit of work (`portal.ports.UnitOfWork`) or the ports they need,
  validate their whole input and never commit: the caller's unit of work commits once, so a
  use case is all or nothing;
- `ports`: every Protocol the use cases need, implemented by `storage/` and `integrations/`;
- `model`: the records the use cases take and return, and their errors;
- rules: `identifiers`, `identity`, `company_register`, `contacts`, `voice_password`,
  `documents`, `miniapp`, `languages`, `tokens` and the form engine `forms/`: pure functions
  and the values they speak in.
"""

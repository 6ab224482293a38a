"""All form versions the bot knows: a draft reopens with the version it was made with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from portal.forms.model import Form, FormKind


class UnknownForm(LookupError):
    pass


class FormCatalogue:
    def __init__(self, forms: Iterable[Form]) -> None:
        self._versions: dict[tuple[str, int], Form] = {}
        for form in forms:
            key = (form.id, form.version)
            if key in self._versions:
                raise ValueError(f"form {form.id} version {form.version} is given twice")
            self._versions[key] = form
        self._current: dict[str, Form] = {}
        for form in self._versions.values():
            known = self._current.get(form.id)
            if known is None or form.version > known.version:
                self._current[form.id] = form

    def get(self, form_id: str, version: int) -> Form:
        """The exact version a draft or a submission was made with."""
        try:
            return self._versions[(form_id, version)]
        except KeyError:
            raise UnknownForm(f"{form_id} v{version}") from None

    def current(self, form_id: str) -> Form:
        """The newest version: what a new draft starts with."""
        try:
            return self._current[form_id]
        except KeyError:
            raise UnknownForm(form_id) from None

    def offered(self, kind: FormKind) -> tuple[Form, ...]:
        """The newest version of each form of a kind, in their menu order."""
        forms = (f for f in self._current.values() if f.kind is kind)
        return tuple(sorted(forms, key=lambda f: (f.order, f.id)))

    def __iter__(self) -> Iterator[Form]:
        return iter(sorted(self._versions.values(), key=lambda f: (f.id, f.version)))

    def __len__(self) -> int:
        return len(self._versions)

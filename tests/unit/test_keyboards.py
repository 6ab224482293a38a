"""dialogs.keyboards.InlineKeyboardBuilder builds what aiogram's builder builds."""

from __future__ import annotations

from pathlib import Path

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder as AiogramBuilder

from dialogs.keyboards import InlineKeyboardBuilder


def _fill(builder: AiogramBuilder) -> None:
    for day in range(1, 32):
        builder.button(text=str(day), callback_data=f"d:{day}")
    builder.adjust(7)
    builder.row(InlineKeyboardButton(text="«", callback_data="p"))
    builder.button(text="Atcelt", callback_data="c")


def test_the_same_markup_as_aiogram_builds() -> None:
    ours, theirs = InlineKeyboardBuilder(), AiogramBuilder()
    _fill(ours)
    _fill(theirs)
    assert ours.as_markup() == theirs.as_markup()
    assert [len(row) for row in ours.export()] == [7, 7, 7, 7, 3, 2]


def test_what_it_exports_does_not_change_the_builder() -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text="1", callback_data="1")
    exported = builder.export()
    exported[0].append(InlineKeyboardButton(text="2", callback_data="2"))
    exported.append([])
    assert [[b.text for b in row] for row in builder.export()] == [["1"]]


def test_the_dialogs_build_keyboards_with_ours() -> None:
    """A new module importing aiogram's builder would bring the quadratic copying back."""
    dialogs = Path(__file__).resolve().parents[2] / "dialogs"
    direct = [
        path.name
        for path in dialogs.glob("*.py")
        if path.name != "keyboards.py"
        and "from aiogram.utils.keyboard import" in path.read_text(encoding="utf-8")
    ]
    assert direct == []

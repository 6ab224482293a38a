"""Mini App initData is accepted only as Telegram documents it: signed with the key derived
from our bot's token, fresh, and of the user we expect."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from aiogram.utils.web_app import check_webapp_signature

from portal.miniapp import (
    MiniAppRefusal,
    MiniAppRefused,
    secret_key,
    sign,
    verify_init_data,
)

TOKEN = "987654321:altum-test-token-0123456789abcdefghijklmn"
KEY = secret_key(TOKEN)
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
USER = {"id": 100500, "first_name": "Jānis", "last_name": "Kalniņš", "language_code": "lv"}


def init_data(
    *, user: object = None, auth_date: datetime = NOW, key: bytes = KEY, **extra: str
) -> str:
    """initData the way Telegram builds it (hash over every other field, `signature` too)."""
    fields = {
        "query_id": "AAE1234",
        "user": json.dumps(USER if user is None else user, ensure_ascii=False),
        "auth_date": str(int(auth_date.timestamp())),
        "signature": "c2lnbmF0dXJlLW9mLXRlbGVncmFt",
        **extra,
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    fields["hash"] = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def refusal(data: str, **kwargs: object) -> MiniAppRefusal:
    with pytest.raises(MiniAppRefused) as caught:
        verify_init_data(data, key=KEY, now=kwargs.pop("now", NOW), **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_telegrams_init_data_names_its_user() -> None:
    data = init_data()
    assert check_webapp_signature(TOKEN, data)  # aiogram's reading of the same document
    user = verify_init_data(data, key=KEY, now=NOW + timedelta(seconds=30), expected_user_id=100500)
    assert (user.id, user.first_name, user.language_code) == (100500, "Jānis", "lv")
    assert user.auth_date == NOW
    assert secret_key(TOKEN) == hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()


def test_the_hash_covers_every_field_but_itself() -> None:
    fields = {"auth_date": "1", "user": '{"id":1}', "signature": "s", "hash": "ignored"}
    expected = hmac.new(KEY, b'auth_date=1\nsignature=s\nuser={"id":1}', hashlib.sha256)
    assert sign(fields, KEY) == expected.hexdigest()


def test_forged_altered_or_foreign_init_data_is_refused() -> None:
    genuine = init_data()
    altered = genuine.replace("100500", "666")  # someone else's id, same hash
    assert refusal(altered) is MiniAppRefusal.BAD_SIGNATURE
    other_bot = secret_key("123456789:another-bot-token-abcdefghijklmnopqrst")
    assert refusal(init_data(key=other_bot)) is MiniAppRefusal.BAD_SIGNATURE
    unsigned = genuine.rsplit("&hash=", 1)[0] + "&hash=" + "0" * 64
    assert refusal(unsigned) is MiniAppRefusal.BAD_SIGNATURE
    assert refusal(genuine + "&extra=1") is MiniAppRefusal.BAD_SIGNATURE  # a field added
    assert refusal(genuine.replace("hash=", "hash=ā")) is MiniAppRefusal.BAD_SIGNATURE


def test_stale_future_and_other_users_init_data_is_refused() -> None:
    assert refusal(init_data(auth_date=NOW - timedelta(minutes=4))) is MiniAppRefusal.EXPIRED
    assert refusal(init_data(auth_date=NOW + timedelta(minutes=2))) is MiniAppRefusal.EXPIRED
    assert refusal(init_data(), expected_user_id=666) is MiniAppRefusal.WRONG_USER


def test_missing_and_malformed_init_data_is_refused() -> None:
    assert refusal("") is MiniAppRefusal.MISSING
    for data in (
        "no-equals-sign",
        "auth_date=1&user=%7B%7D",  # no hash
        init_data() + "&auth_date=1",  # a field twice
        "x=" + "a" * 9000,
        init_data(user={"first_name": "no id"}),
        init_data(user={"id": "100500"}),
        init_data(user={"id": True}),
        init_data(user="not json"),
        init_data(auth_date=NOW).replace("auth_date=", "auth_date=x"),
    ):
        assert refusal(data) in (MiniAppRefusal.MALFORMED, MiniAppRefusal.BAD_SIGNATURE)
    # Signed but not what Telegram would sign: still refused, as malformed.
    assert refusal(init_data(user={"id": "100500"})) is MiniAppRefusal.MALFORMED

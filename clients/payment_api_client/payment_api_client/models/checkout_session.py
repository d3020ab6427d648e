from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_status import PaymentStatus

if TYPE_CHECKING:
    from ..models.money import Money


T = TypeVar("T", bound="CheckoutSession")


@_attrs_define
class CheckoutSession:
    """
    Attributes:
        payment_id (str):
        session_id (str):
        url (str):
        expires_at (datetime.datetime):
        status (PaymentStatus): pending: session open; processing: async payment waiting for funds; succeeded; failed;
            expired: session expired unpaid; canceled; partially_refunded; refunded. Late or out-of-order events never move
            a payment backwards.
        amount (Money): An amount in the currency's MINOR unit (cents, yen, fils) and its ISO 4217 code. Never a float.
    """

    payment_id: str
    session_id: str
    url: str
    expires_at: datetime.datetime
    status: PaymentStatus
    amount: Money
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        payment_id = self.payment_id

        session_id = self.session_id

        url = self.url

        expires_at = self.expires_at.isoformat()

        status = self.status.value

        amount = self.amount.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "payment_id": payment_id,
                "session_id": session_id,
                "url": url,
                "expires_at": expires_at,
                "status": status,
                "amount": amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415

        d = dict(src_dict)
        payment_id = d.pop("payment_id")

        session_id = d.pop("session_id")

        url = d.pop("url")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        status = PaymentStatus(d.pop("status"))

        amount = Money.from_dict(d.pop("amount"))

        checkout_session = cls(
            payment_id=payment_id,
            session_id=session_id,
            url=url,
            expires_at=expires_at,
            status=status,
            amount=amount,
        )

        checkout_session.additional_properties = d
        return checkout_session

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

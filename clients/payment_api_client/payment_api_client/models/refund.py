from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.refund_reason import RefundReason
from ..models.refund_status import RefundStatus

if TYPE_CHECKING:
    from ..models.money import Money


T = TypeVar("T", bound="Refund")


@_attrs_define
class Refund:
    """
    Attributes:
        id (str):
        payment_id (str):
        amount (Money): An amount in the currency's MINOR unit (cents, yen, fils) and its ISO 4217 code. Never a float.
        status (RefundStatus):
        reason (None | RefundReason):
        gateway_refund_id (None | str):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    id: str
    payment_id: str
    amount: Money
    status: RefundStatus
    reason: None | RefundReason
    gateway_refund_id: None | str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        payment_id = self.payment_id

        amount = self.amount.to_dict()

        status = self.status.value

        reason: None | str
        if isinstance(self.reason, RefundReason):
            reason = self.reason.value
        else:
            reason = self.reason

        gateway_refund_id: None | str
        gateway_refund_id = self.gateway_refund_id

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "payment_id": payment_id,
                "amount": amount,
                "status": status,
                "reason": reason,
                "gateway_refund_id": gateway_refund_id,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        payment_id = d.pop("payment_id")

        amount = Money.from_dict(d.pop("amount"))

        status = RefundStatus(d.pop("status"))

        def _parse_reason(data: object) -> None | RefundReason:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_0 = RefundReason(data)

                return reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RefundReason, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_gateway_refund_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        gateway_refund_id = _parse_gateway_refund_id(d.pop("gateway_refund_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        refund = cls(
            id=id,
            payment_id=payment_id,
            amount=amount,
            status=status,
            reason=reason,
            gateway_refund_id=gateway_refund_id,
            created_at=created_at,
            updated_at=updated_at,
        )

        refund.additional_properties = d
        return refund

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

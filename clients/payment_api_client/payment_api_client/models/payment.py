from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_status import PaymentStatus

if TYPE_CHECKING:
    from ..models.gateway_refs import GatewayRefs
    from ..models.line_item import LineItem
    from ..models.money import Money
    from ..models.status_change import StatusChange


T = TypeVar("T", bound="Payment")


@_attrs_define
class Payment:
    """
    Attributes:
        id (str):
        status (PaymentStatus): pending: session open; processing: async payment waiting for funds; succeeded; failed;
            expired: session expired unpaid; canceled; partially_refunded; refunded. Late or out-of-order events never move
            a payment backwards.
        amount (Money): An amount in the currency's MINOR unit (cents, yen, fils) and its ISO 4217 code. Never a float.
        refunded_amount (Money): An amount in the currency's MINOR unit (cents, yen, fils) and its ISO 4217 code. Never
            a float.
        line_items (list[LineItem]):
        user_id (None | str):
        customer_email (None | str):
        description (None | str):
        gateway (GatewayRefs):
        failure_reason (None | str):
        expires_at (datetime.datetime | None):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        status_history (list[StatusChange]):
    """

    id: str
    status: PaymentStatus
    amount: Money
    refunded_amount: Money
    line_items: list[LineItem]
    user_id: None | str
    customer_email: None | str
    description: None | str
    gateway: GatewayRefs
    failure_reason: None | str
    expires_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status_history: list[StatusChange]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status.value

        amount = self.amount.to_dict()

        refunded_amount = self.refunded_amount.to_dict()

        line_items = []
        for line_items_item_data in self.line_items:
            line_items_item = line_items_item_data.to_dict()
            line_items.append(line_items_item)

        user_id: None | str
        user_id = self.user_id

        customer_email: None | str
        customer_email = self.customer_email

        description: None | str
        description = self.description

        gateway = self.gateway.to_dict()

        failure_reason: None | str
        failure_reason = self.failure_reason

        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        status_history = []
        for status_history_item_data in self.status_history:
            status_history_item = status_history_item_data.to_dict()
            status_history.append(status_history_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "amount": amount,
                "refunded_amount": refunded_amount,
                "line_items": line_items,
                "user_id": user_id,
                "customer_email": customer_email,
                "description": description,
                "gateway": gateway,
                "failure_reason": failure_reason,
                "expires_at": expires_at,
                "created_at": created_at,
                "updated_at": updated_at,
                "status_history": status_history,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gateway_refs import GatewayRefs  # noqa: PLC0415
        from ..models.line_item import LineItem  # noqa: PLC0415
        from ..models.money import Money  # noqa: PLC0415
        from ..models.status_change import StatusChange  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        status = PaymentStatus(d.pop("status"))

        amount = Money.from_dict(d.pop("amount"))

        refunded_amount = Money.from_dict(d.pop("refunded_amount"))

        line_items = []
        _line_items = d.pop("line_items")
        for line_items_item_data in _line_items:
            line_items_item = LineItem.from_dict(line_items_item_data)

            line_items.append(line_items_item)

        def _parse_user_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        user_id = _parse_user_id(d.pop("user_id"))

        def _parse_customer_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        customer_email = _parse_customer_email(d.pop("customer_email"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        gateway = GatewayRefs.from_dict(d.pop("gateway"))

        def _parse_failure_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failure_reason = _parse_failure_reason(d.pop("failure_reason"))

        def _parse_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        status_history = []
        _status_history = d.pop("status_history")
        for status_history_item_data in _status_history:
            status_history_item = StatusChange.from_dict(status_history_item_data)

            status_history.append(status_history_item)

        payment = cls(
            id=id,
            status=status,
            amount=amount,
            refunded_amount=refunded_amount,
            line_items=line_items,
            user_id=user_id,
            customer_email=customer_email,
            description=description,
            gateway=gateway,
            failure_reason=failure_reason,
            expires_at=expires_at,
            created_at=created_at,
            updated_at=updated_at,
            status_history=status_history,
        )

        payment.additional_properties = d
        return payment

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

"""Exchange rates used to convert reports (reference data, not project facts)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.openapi.spec import Example
from litestar.params import Body

from api.commands import rates, scope_of
from api.conditions import today_utc
from api.params import ReadModelDep
from api.presenters.rates import rates_out
from api.schemas import RatesIn, RatesOut
from tracker.application import check_unscoped
from tracker.readmodel.database import naive_utc
from tracker.readmodel.fx import list_rates, put_rates

RATES_EXAMPLE = {
    "rates": [
        {"date": "2025-01-02", "currency": "KZT", "units_per_usd": "525.10", "source": "NBK"},
        {"date": "2025-01-02", "currency": "UZS", "units_per_usd": "12950.00", "source": "CBU"},
    ]
}


class FxController(Controller):
    path = "/api/v1/fx-rates"
    tags = ["fx"]

    @put("/", sync_to_thread=True, summary="Add or replace exchange rates")
    def put_rates(
        self,
        request: Request[Any, Any, Any],
        readmodel: ReadModelDep,
        data: Annotated[RatesIn, Body(examples=[Example(value=RATES_EXAMPLE)])],
    ) -> RatesOut:
        """Rates convert every portfolio's figures: only an admin key that is not scoped to a
        portfolio may set them."""
        check_unscoped(scope_of(request), "setting exchange rates")
        checked = rates(data)
        written = put_rates(readmodel.engine, checked, naive_utc(today_utc()))
        readmodel.rates_changed()
        return RatesOut(written, rates_out(checked))

    @get("/", sync_to_thread=True, summary="Every known exchange rate")
    def list_rates(self, readmodel: ReadModelDep) -> RatesOut:
        known = readmodel.query(list_rates)
        return RatesOut(len(known), rates_out(known))

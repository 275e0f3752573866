"""GET /v1/calculators and POST /v1/calculators/{name}: the contract's formulas, run directly."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from assistant import calc
from assistant.api.schemas import ErrorOut
from assistant.models import CalcResult

router = APIRouter(tags=["calculators"])


@router.get("/v1/calculators")
def calculators() -> list[dict[str, Any]]:
    return calc.catalogue()


@router.post("/v1/calculators/{name}", response_model=CalcResult, responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def run_calculator(name: str, inputs: dict[str, Any]) -> CalcResult:
    return calc.run(name, inputs)

"""The workbench: server-rendered pages for those who do not live in a terminal."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> str:
    return "<!doctype html><title>configurator</title><h1>configurator</h1>"

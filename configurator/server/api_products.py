"""Products over HTTP: what is on offer, and one product's structure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ..product.model import text_in
from .auth import Anyone

router = APIRouter(tags=["products"])


@router.get("/products", summary="The bundled products")
def products(request: Request, user: Anyone) -> list[dict[str, Any]]:
    env = request.app.state.env
    found = []
    for path in env.product_files():
        product = env.load(path)
        found.append({"id": product.id, "version": product.version, "hash": product.hash,
                      "name": text_in(product.name, "en"),
                      "effective_from": product.effective_from.isoformat(),
                      "effective_to": product.effective_to.isoformat()
                      if product.effective_to else None,
                      "languages": list(product.languages)})
    return found

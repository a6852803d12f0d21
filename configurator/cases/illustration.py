"""The product's own sample case: the timeline behind the worked example.

A product names its illustration case inline (``illustration:`` in the
product file: a case with policy, as_of, applicant and events), so the case
is part of the product's content and hash: a file and its registry version
render the same worked example. It is checked like any case, and its problems
point into the product file.
"""

from __future__ import annotations

import dataclasses

from ..errors import CaseError
from ..product.model import Product
from .case import Case, case_from_data, case_from_document


def illustration_case(product: Product) -> Case | None:
    """The product's illustration as a checked case (None when it has none).

    Raises `CaseError` with positions inside the product file.
    """
    if product.illustration is None:
        return None
    try:
        if product.source is None:
            return case_from_data(product.illustration, product, product.source_file)
        return case_from_document(product.source.part(("illustration",)), product)
    except CaseError as exc:  # name the place in the product: illustration.applicant.age
        raise CaseError([dataclasses.replace(p, path=_within(p.path)) for p in exc.problems]
                        ) from None


def _within(path: str) -> str:
    if not path:
        return "illustration"
    return f"illustration{path}" if path.startswith("[") else f"illustration.{path}"

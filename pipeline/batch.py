"""Many briefings at once: the one parser of `POST /api/v1/batches` and `oma render --batch`.

A batch is CSV (a header row of the briefing's field names, then one briefing a row; an empty
cell means the field's default, as an empty form field does) or JSON (a list of objects, or
`{"videos": [...]}`). Each item is named where a person finds it: `row 3` is the file's third
line (the header is line 1); `2` is the third item of a JSON list (counted from 0, as JSON
paths are). A bad item's problems are keyed `row 3.duration`, with the Briefing's own words.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.briefing import field_errors

M = TypeVar("M", bound=BaseModel)


class BatchError(ValueError):
    """The batch as a whole cannot be read; `code` names the kind (invalid_csv, invalid_json,
    invalid_request) and `details` the place, when there is one."""

    def __init__(self, code: str, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


class BadRow(str):
    """Why a CSV row cannot be read as a briefing's fields."""


@dataclass(frozen=True)
class Item:
    where: str  # "row 3" (CSV) or "2" (JSON)
    data: object


def read_items(raw: bytes, csv_format: bool, limit: int | None = None) -> list[Item]:
    """The batch's items, each with where it is; BatchError when the whole cannot be read."""
    if csv_format:
        items = [Item(f"row {n}", row) for n, row in enumerate(_csv_rows(raw), 2)]
    else:
        data = parse_json(raw)
        if isinstance(data, dict) and isinstance(data.get("videos"), list):
            data = data["videos"]
        if not isinstance(data, list):
            raise BatchError("invalid_request", "The body must be a non-empty list of briefings.")
        items = [Item(str(n), item) for n, item in enumerate(data)]
    if not items:
        raise BatchError("invalid_request", "The body must be a non-empty list of briefings.")
    if limit is not None and len(items) > limit:
        raise BatchError(
            "invalid_request", f"A batch has at most {limit} briefings (this one has {len(items)})."
        )
    return items


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of a request body; BatchError("invalid_json") for anything else, a body
    nested too deep for the parser (`[[[[...`, which raises RecursionError) included."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise BatchError("invalid_json", "The body is not valid JSON.", {"body": why}) from exc


def check_item(item: Item, model: type[M]) -> M | dict[str, str]:
    """The item as `model`, or its problems keyed `{where}.{field}`."""
    if isinstance(item.data, BadRow):
        return {f"{item.where}.body": str(item.data)}
    if not isinstance(item.data, dict):
        return {f"{item.where}.body": "must be an object"}
    try:
        return model.model_validate(item.data)
    except ValidationError as exc:
        return field_details(exc, f"{item.where}.")


def field_details(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """Per field, the Briefing's plain message, each key prefixed (`row 3.`); an error of the
    whole object is the `body`'s."""
    details = {f"{prefix}{'body' if k == 'briefing' else k}": v for k, v in field_errors(exc).items()}
    # Nested models (a scene edit in a list) lose their path in field_errors: keep pydantic's.
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if len(err["loc"]) > 1 and f"{prefix}{loc}" not in details:
            details[f"{prefix}{loc}"] = str(err["msg"]).removeprefix("Value error, ")
    return details


def _csv_rows(raw: bytes) -> list[dict[str, str] | BadRow]:
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BatchError("invalid_csv", f"The body is not UTF-8 CSV with a header row ({exc}).") from exc
    return [_row(row) for row in rows]


def _row(row: dict[str | None, Any]) -> dict[str, str] | BadRow:
    """A row's fields, or why it cannot be one: more cells than the header names is a comma
    that needed quotes, and guessing which would put words in the wrong field."""
    extra = row.get(None)
    if extra:
        named = len(row) - 1
        return BadRow(
            f"has {named + len(extra)} cells for {named} columns: put a cell with a comma in double quotes"
        )
    # Empty cells mean "the default", as an empty form field does.
    return {k.strip(): v for k, v in row.items() if k and v not in (None, "")}

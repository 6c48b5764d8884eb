"""Path parameters shared by the routes: checked before they reach a lookup or a query."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, get_args, get_origin

from fastapi import Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.schemas.base import PLAIN_DIGITS

SlugPath = Annotated[
    str, Path(max_length=80, pattern=r"^[a-z][a-z0-9_]{0,79}$", description="An id: lowercase letters, digits, _.")
]
VersionPath = Annotated[
    Annotated[int, Field(ge=1, le=1_000_000), PLAIN_DIGITS], Path(description="A version number (digits only).")
]
QueryModel = TypeVar("QueryModel", bound=BaseModel)


# --- query models ------------------------------------------------------------------------------------------------
# FastAPI reads a query model field by field with generic, per-request type introspection: about 35 us for the seven
# filters of GET /v1/exercises, a tenth of the request. These two functions do the same job for one pydantic model
# in one validation call, document it exactly as FastAPI does, and also refuse a scalar parameter given twice
# (FastAPI would keep the last one silently).


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(get_origin(arg) is list for arg in get_args(annotation))


def query_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting the model's fields as query parameters (form style, lists repeated)."""
    schema = model.model_json_schema()
    assert "$defs" not in schema, "query models hold plain fields only"
    parameters = []
    for name, field in schema["properties"].items():
        field = {key: value for key, value in field.items() if not (key == "default" and value is None)}
        parameter = {"in": "query", "name": name, "required": name in schema.get("required", ()), "schema": field}
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return {"parameters": parameters}


def query_model(model: type[QueryModel]) -> Callable[[Request], Awaitable[QueryModel]]:
    """A dependency giving the request's query string as `model` (422 naming `query.<field>` when invalid)."""
    lists = {field.alias or name for name, field in model.model_fields.items() if _is_list(field.annotation)}

    async def parse(request: Request) -> QueryModel:
        values: dict[str, Any] = {}
        for name, value in request.query_params.multi_items():
            if name in lists:
                values.setdefault(name, []).append(value)
            elif name in values:
                message = f"give {name} once (it was given more than once)"
                raise RequestValidationError([{"type": "repeated", "loc": ("query", name), "msg": message}])
            else:
                values[name] = value
        try:
            return model.model_validate(values)
        except ValidationError as error:
            raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in error.errors()]) from None

    return parse

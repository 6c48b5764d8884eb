"""The OpenAPI contract as committed in openapi/openapi.json: stable key order, one trailing newline."""

import json


def render_openapi() -> str:
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

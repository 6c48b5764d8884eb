"""The base of every request body: strict types, no unknown fields, and bounded, printable text.

Every string a request body may carry is one of the text types below (or a slug, whose pattern admits only
a-z, 0-9 and _), so each has a documented maximum length and none can hold characters that hide or rewrite what
a reader sees (tests/api/test_openapi.py checks the spec for any that escaped):

- C0 and C1 control characters (NUL, tab, newline, escape, ...) and DEL: no store of ours can hold a NUL, and a
  name or a step that carries a newline or an escape sequence breaks the lines and terminals it is shown in.
  A `Description` alone may hold a newline (LF), to separate paragraphs; never CR or tab.
- Unicode line and paragraph separators (U+2028, U+2029), refused wherever a newline is.
- Unicode bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder what is
  displayed ("Trojan Source"), so a name could read differently from what is stored. The left-to-right and
  right-to-left marks (U+200E, U+200F) are allowed: they only set the direction of neutral characters, and
  names in Hebrew or Arabic mixed with digits need them.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# The limits, with headroom over the longest values of seed/ (a name of 64 characters, a description of 233,
# an instruction step of 187, a cue of 77, five steps, three cues).
ID_MAX = 80  # an id (slug) of the catalogue: the longest an exercise slug may be
NAME_MAX = 120
DESCRIPTION_MAX = 1000
STEP_MAX = 500  # one instruction step
CUE_MAX = 200
TEMPO_MAX = 80
PHRASE_MAX = 100  # a place in words ("left knee")

_BIDI = r"\u202a-\u202e\u2066-\u2069"
_LINE_FORBIDDEN = rf"\u0000-\u001f\u007f-\u009f\u2028\u2029{_BIDI}"
_PARAGRAPHS_FORBIDDEN = rf"\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029{_BIDI}"


@dataclass(frozen=True)
class Refused:
    """Annotated metadata refusing a set of characters, with a message naming the first one found; the JSON
    Schema documents the rule as a `pattern` (the same regular expression: Python and ECMAScript both read it).
    Put it after the length constraints, so an overlong value is refused for its length before it is scanned."""

    forbidden: str

    def check(self, value: str) -> str:
        found = re.search(f"[{self.forbidden}]", value)
        if found:
            raise PydanticCustomError(
                "forbidden_character",
                "text may not contain control or bidirectional-override characters "
                "(found {character} at position {position})",
                {"character": f"U+{ord(found.group()):04X}", "position": found.start()},
            )
        return value

    def __get_pydantic_core_schema__(self, source: type[Any], handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = f"^[^{self.forbidden}]*$"
        return json_schema


SINGLE_LINE = Refused(_LINE_FORBIDDEN)
PARAGRAPHS = Refused(_PARAGRAPHS_FORBIDDEN)

# The text types of request bodies. A field that needs another length says so the same way:
# Annotated[str, Field(max_length=N), SINGLE_LINE].
Id = Annotated[str, Field(min_length=1, max_length=ID_MAX), SINGLE_LINE]
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), SINGLE_LINE]
Step = Annotated[str, Field(min_length=1, max_length=STEP_MAX), SINGLE_LINE]
Cue = Annotated[str, Field(min_length=1, max_length=CUE_MAX), SINGLE_LINE]
Tempo = Annotated[str, Field(min_length=1, max_length=TEMPO_MAX), SINGLE_LINE]
Phrase = Annotated[str, Field(min_length=1, max_length=PHRASE_MAX), SINGLE_LINE]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX), PARAGRAPHS]
"""Descriptions alone may hold newlines (LF), between paragraphs."""


def _plain_digits(value: object) -> object:
    # Lax int parsing reads "1_0" as 10 and also " 1", "+1" and "1.0": a URL names a number one way only.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]+", value):
        raise PydanticCustomError("plain_integer", "give a whole number in plain decimal digits (0-9), e.g. 3")
    return value


# An integer of a path or query string: plain ASCII decimal digits only. Where its bounds cannot be the field's
# own (in a union, a path parameter), put them first: Annotated[int, Field(ge=1), PLAIN_DIGITS].
PLAIN_DIGITS = BeforeValidator(_plain_digits)
PlainInt = Annotated[int, PLAIN_DIGITS]


class StrictInput(BaseModel):
    """Request bodies reject unknown fields and lax coercion: nothing is silently ignored or guessed."""

    model_config = ConfigDict(extra="forbid", strict=True)

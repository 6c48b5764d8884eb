"""RFC 9457 problem details: the one shape of every error answer."""

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is: a dotted path into the body, or the query parameter.")
    message: str = Field(description="What is wrong there, in words.")


class Problem(BaseModel):
    type: str = Field(description="A URI naming the kind of problem: `urn:ceplan:problem:<code>`.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    code: str = Field(description="A stable machine-readable code, e.g. `unknown_compensation`.")
    errors: list[FieldError] | None = Field(default=None, description="The fields at fault, for validation errors.")
    allowed: list[str] | None = Field(default=None, description="The values that would have been accepted.")

"""The study-file reference, generated from the schema (docs/study.md embeds it; a test keeps them equal)."""
from __future__ import annotations

import types
import typing

from .schema import HUMAN_KINDS, Analyses, Extraction, ModelEntry, StimulusSetEntry, StudyInfo

START, END = "<!-- study-reference:start -->", "<!-- study-reference:end -->"


def _type(ann) -> str:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in args)
    if origin is typing.Union or origin is types.UnionType:
        parts = [_type(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" (optional)" if type(None) in args else "")
    if origin in (list, tuple):
        inner = ", ".join(_type(a) for a in args if a is not Ellipsis)
        return f"array of {inner}" if origin is list else f"[{inner}]"
    if origin is dict:
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(ann, getattr(ann, "__name__",
                                                                                                 str(ann)))


def _default(field) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "-"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, tuple, dict)) and not value:
        return "`[]`" if not isinstance(value, dict) else "`{}`"
    return f"`{list(value) if isinstance(value, tuple) else value}`".replace("'", '"')


def _table(model, heading: str) -> str:
    doc = (model.__doc__ or "").strip().replace("\n    ", " ").replace("``", "`")
    rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        rows.append(f"| `{name}` | {_type(field.annotation)} | {_default(field)} | {field.description or ''} |")
    return f"### {heading}\n\n{doc}\n\n" + "\n".join(rows) + "\n"


def reference_markdown() -> str:
    """Every section and key of a study file, with type, default and meaning (Markdown)."""
    parts = [_table(StudyInfo, "`[study]`"), _table(StimulusSetEntry, "`[stimuli.NAME]`"),
             _table(ModelEntry, "`[models.NAME]`"), _table(Extraction, "`[extraction]`")]
    for key, model in HUMAN_KINDS.items():
        parts.append(_table(model, f"`[human.NAME]` with `{key}`"))
    for name, field in Analyses.model_fields.items():
        model = [a for a in typing.get_args(field.annotation) if a is not type(None)][0]
        parts.append(_table(model, f"`[analyses.{name}]`"))
    return "\n".join(parts)


def render_into(text: str) -> str:
    """``text`` (a docs page) with the part between the reference markers regenerated."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n\n{reference_markdown()}\n{END}{tail}"

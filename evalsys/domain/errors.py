"""The refusal every layer raises: a message for people, the problems behind it, and an HTTP status.

Services and domain rules raise subclasses of `DomainError` when an action is not allowed (state,
quota, deadline, stale version, missing document, invalid input). The web layer has one handler for
all of them: it rolls the request back and shows the message on the page where the action was taken;
the API turns the same error into a problem document. Nothing here knows about HTTP beyond the number.

A refusal's text is a Chinese template marked with `N_` and its named values
(`QuotaError(N_("%(name)s 的推荐名额已满"), name=...)`): `message` and `str()` read the Chinese text
(logs, the command line and audit records keep it), and `translated(gettext)` gives the lines in the
reader's language, the web layer passing its translation function so that the domain stays free of it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .marking import N_

__all__ = ["N_", "Message", "Joined", "localize", "text_of", "DomainError", "InvalidInput", "StoredFileMismatch"]

Translate = Callable[[str], str]


class Message(str):
    """A text for people: reads as the Chinese template filled with its values, and keeps both so that it
    can be shown in another language (`render`). A value that is itself a `Message` (a state's label,
    say) is translated with it; any other value (a name, a number) is shown as it is."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        if isinstance(template, Message) and not params:
            return template
        self = super().__new__(cls, template % params if params else template)
        self.template = str(template)
        self.params = params
        return self

    def __reduce__(self) -> tuple:
        return (_message, (self.template, self.params))

    def render(self, translate: Translate) -> str:
        """The text in the language of `translate` (a gettext that does not format)."""
        text = translate(self.template)
        if not self.params:
            return text
        values = {k: _rendered(v, translate) for k, v in self.params.items()}
        try:
            return text % values
        except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder: the Chinese text
            return str(self)


class Joined(Message):
    """Texts shown one after another with a separator that belongs to the language (`；` in Chinese)."""

    items: tuple[str, ...]

    def __new__(cls, items: Iterable[str], separator: str = N_("；")) -> Joined:
        items = tuple(items)
        self = str.__new__(cls, separator.join(items))
        self.template, self.params, self.items = separator, {}, items
        return self

    def __reduce__(self) -> tuple:
        return (Joined, (self.items, self.template))

    def render(self, translate: Translate) -> str:
        return translate(self.template).join(localize(item, translate) for item in self.items)


def _message(template: str, params: Mapping[str, Any]) -> Message:
    return Message(template, **params)


def _rendered(value: Any, translate: Translate) -> Any:
    if isinstance(value, BaseException):
        value = text_of(value)
    return value.render(translate) if isinstance(value, Message) else value


def text_of(exc: BaseException) -> str:
    """The text of an exception for people: a refusal's `Message`, the `Message` an exception was raised
    with (`ValueError(Message(...))`), else its plain text."""
    if isinstance(exc, DomainError):
        return exc.text
    if exc.args and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)


def localize(text: str, translate: Translate) -> str:
    """`text` in the language of `translate`: a `Message` renders itself, a plain marked text is looked up
    (never formatted), anything else comes back as it is."""
    if isinstance(text, Message):
        return text.render(translate)
    return translate(text) if text else text


class DomainError(Exception):
    """An expected refusal.

    `message` is Chinese and safe to show; `problems` lists the individual reasons (each shown as its
    own line, never joined into one string); `status` is the HTTP status the refusal maps to:
    409 for a state, quota, deadline or version conflict (the default), 422 for input that cannot be
    accepted, 403 or 404 where the object is not the user's to see.
    """

    status: int = 409

    def __init__(self, message: str = "", problems: Iterable[str] = (), *, status: int | None = None,
                 **params: Any) -> None:
        self.text = Message(message, **params)
        self.message = str(self.text)
        super().__init__(self.message)
        self.problem_texts = [p if isinstance(p, Message) else Message(p) for p in problems if p]
        self.problems = [str(p) for p in self.problem_texts]
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        """One line for logs and the command line: the message, then the problems."""
        if not self.problems:
            return self.message
        joined = "；".join(self.problems)
        return f"{self.message}{joined}" if self.message.endswith("：") else "；".join(self.lines())

    def lines(self) -> list[str]:
        """The message followed by each problem (what a page shows)."""
        return [line for line in (self.message, *self.problems) if line]

    def translated(self, translate: Translate) -> list[str]:
        """The lines of `lines()` in the language of `translate` (the web layer passes its gettext)."""
        text = self.text if self.message == str(self.text) else Message(self.message)
        problems = self.problem_texts if [str(p) for p in self.problem_texts] == list(self.problems) \
            else [p if isinstance(p, Message) else Message(p) for p in self.problems]
        return [localize(t, translate) for t in (text, *problems) if t]


class InvalidInput(DomainError):
    """Input that cannot be accepted (a file, a figure, a code); shown beside the form."""

    status = 422


class StoredFileMismatch(DomainError):
    """A signed report whose file is missing or no longer matches its recorded digest (the caller records
    the security event); nothing is served."""

    def __init__(self) -> None:
        super().__init__(N_("报告文件已丢失或与登记的摘要不符，已记录并通知管理员"))

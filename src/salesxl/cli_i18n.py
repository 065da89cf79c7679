"""The command line in the user's language: help pages and click's own messages, zh or en.

The language is known before click parses anything (:func:`language`): the last ``--lang X``
of the command line (before ``--``), else the ``SALESXL_LANG`` environment variable, else 中文.
It has to be, because ``--help`` is eager — ``salesxl validate --help --lang en`` prints the
help before click has read ``--lang`` — and because a bad argument is reported before the
command's own ``--lang`` exists.  :func:`speaking` makes it the language of one run.

Help texts are :class:`Text` pairs chosen when the help is shown (:class:`Option`,
:class:`Argument`, :class:`Command`, :class:`Group` accept them for ``help``, ``metavar`` and
``short_help``), so the help page holds no docstring prose and no reST markup.  click's own
words ("Usage:", "Options", "[default: …]", "Missing option …") go through :mod:`gettext`, the
hook click gives translators; :func:`speaking` answers those lookups from :data:`CLICK_ZH`
for the length of a Chinese run and puts click's own functions back afterwards, so other
click programs in the same process are untouched.  A message click adds in a later version
simply stays English.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click

from salesxl.errors import BadArguments

__all__ = ["CLICK_ZH", "Argument", "Command", "Group", "Option", "Text", "current", "language", "speaking", "tr",
           "usage_message"]

LANGS = ("zh", "en")
ENV = "SALESXL_LANG"
_current: str | None = None


@dataclass(frozen=True)
class Text:
    """A help text in both languages, chosen when shown."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if current() == "en" else self.zh


def tr(zh: str, en: str) -> str:
    """``zh`` or ``en``, by the language of this run."""
    return en if current() == "en" else zh


def _pick(value: Any) -> Any:
    return str(value) if isinstance(value, Text) else value


def _from_env() -> str:
    """``SALESXL_LANG``: zh / en, also as locales (``en_US.UTF-8``, ``zh-CN``); unset → zh."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return "zh"
    head = raw.lower().replace("-", "_").split("_", 1)[0].split(".", 1)[0]
    if head in LANGS:
        return head
    raise BadArguments(f"环境变量 {ENV} 只能是 zh 或 en（现在是「{raw}」）",
                       f"The environment variable {ENV} must be zh or en (it is '{raw}')")


def current() -> str:
    """The language of this run (outside a run: ``SALESXL_LANG``, else zh)."""
    if _current is not None:
        return _current
    try:
        return _from_env()
    except BadArguments:
        return "zh"


def language(argv: Sequence[str]) -> str:
    """The language a command line asks for: its last ``--lang`` (before ``--``), else
    ``SALESXL_LANG``, else zh.  A ``--lang`` value that is neither is left for click to
    refuse (the message is then in the environment's language).  Raises
    :class:`BadArguments` for an unusable ``SALESXL_LANG``."""
    asked = None
    for i, a in enumerate(argv):
        if a == "--":
            break
        value = argv[i + 1] if a == "--lang" and i + 1 < len(argv) else a[7:] if a.startswith("--lang=") else None
        if value is not None:
            asked = value.strip().lower()
    if asked in LANGS:
        return asked
    return _from_env()


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Run the command line in ``lang``: this module's texts and click's own words."""
    global _current
    saved_lang, _current = _current, lang
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    # help columns line up and Chinese paragraphs wrap at the terminal's width
    hooks: list[tuple[Any, str, Any]] = [(click.formatting, "term_len", _term_len),
                                         (click.formatting, "wrap_text", _wrapper(click.formatting.wrap_text))]
    if lang == "zh":
        for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.types):
            hooks += [(module, "_", _gettext), (module, "ngettext", _ngettext)]
    patched: list[tuple[Any, str, Any]] = []
    for module, name, fn in hooks:
        if hasattr(module, name):
            patched.append((module, name, getattr(module, name)))
            setattr(module, name, fn)
    try:
        yield
    finally:
        for module, name, fn in reversed(patched):
            setattr(module, name, fn)
        _current = saved_lang


def _term_len(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two (click counts one, so a
    Chinese metavar pushed the help column out of line)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in _ANSI.sub("", text))


def _wrapper(wrap_text: Any) -> Any:
    """click's ``wrap_text``, except that text holding CJK is wrapped by display width (click
    breaks at spaces, which Chinese has none of, and counts a CJK character as one column)."""

    def wrap(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
             preserve_paragraphs: bool = False) -> str:
        if not any(unicodedata.east_asian_width(ch) in "WF" for ch in text):
            return str(wrap_text(text, width, initial_indent, subsequent_indent, preserve_paragraphs))
        out = []
        for para in re.split(r"\n\s*\n", text):
            lines, line = [], initial_indent
            for token in _TOKENS.findall(" ".join(para.split())):
                if (_term_len(line + token.rstrip()) > width and line.strip()
                        and token[0] not in _NO_LINE_START):
                    lines.append(line.rstrip())
                    line = subsequent_indent + token.lstrip()
                else:
                    line += token
            lines.append(line.rstrip())
            out.append("\n".join(lines))
        return "\n\n".join(out)

    return wrap


#: What a line never breaks inside: click's "[默认：…]", a word of Latin script (with the space
#: after it); else one character.
_TOKENS = re.compile(r"\[[^\]]*\]\s*|[^\s\u2e80-\uffef]+\s*|\s+|.")
_NO_LINE_START = set("，。、；：？！）》」』】,.;:?!)")
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def _gettext(message: str) -> str:
    return CLICK_ZH.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return CLICK_ZH.get(singular if n == 1 else plural, singular if n == 1 else plural)


#: click's messages (its gettext msgids) in Chinese: every message a user of salesxl can meet
#: (tests/test_language.py checks each msgid of the installed click that is not a programmer's
#: error is here).  Sentences end in full-width punctuation; :func:`usage_message` joins a
#: message and its suggestion into one sentence (未知命令 'valdate'，是否要输入 'validate'？).
CLICK_ZH: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出",
    "Show the version and exit.": "显示版本号并退出",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（随情况而定）",
    "deprecated": "已弃用",
    "Aborted!": "已中断",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "unknown error": "未知错误",
    "Missing command.": "缺少子命令。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "No such option {name!r}.": "未知选项 {name!r}。",
    "Did you mean {possibility}?": "是否要输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "是否要输入以下之一：{possibilities}？",
    "No such command {name!r}.": "未知命令 {name!r}。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "{len_type} values are required, but {len_value} were given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "Value must be an iterable.": "值须为多个。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Choose from:\n\t{choices}": "可选：{choices}",
    "Choice({choices})": "可选（{choices}）",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值，可用：{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合以下任一格式：{formats}。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是一个文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是一个文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
}

#: click's msgids a user cannot meet: mistakes in a program's own declarations.
CLICK_PROGRAMMER_ERRORS = frozenset({
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "Name '{name}' defined twice",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Confirm the action without prompting.",
    "Do you want to continue?",
})


def usage_message(exc: click.exceptions.UsageError, lang: str) -> str:
    """One line saying what was wrong with the command line, in ``lang``.

    In Chinese, click's sentence and its suggestion become one sentence with full-width
    punctuation (click joins them with ". " and ends with an English full stop), a missing
    option or argument is named without quotes (缺少选项 --month), and click's help page for a
    bare group is not treated here (the caller shows it)."""
    if lang == "en":
        return " ".join(exc.format_message().split())
    if isinstance(exc, click.exceptions.MissingParameter):
        message = _missing_zh(exc)
    else:
        message = exc.format_message()
    message = " ".join(message.split())
    message = _NUMBER_TYPE.sub(lambda m: "不是有效的" + _NUMBER_TYPES[m.group(1)], message)
    message = re.sub(r"。 ?(?=是否要输入)", "，", message)
    message = re.sub(r"(?<=[\u2e80-\uffef'\"）)])\. ?", "。", message)
    message = re.sub(r"(?<=[\u2e80-\uffef])([,:;?]) ?", lambda m: _FULL[m.group(1)], message)
    return message


_FULL = {",": "，", ":": "：", ";": "；", "?": "？"}
#: click's names of its number types (``{number_type}`` is the type's name, not a msgid).
_NUMBER_TYPES = {"integer range": "整数", "float range": "数", "integer": "整数", "float": "数"}
_NUMBER_TYPE = re.compile(r"不是有效的(integer range|float range|integer|float)")


def _missing_zh(exc: click.exceptions.MissingParameter) -> str:
    """缺少选项 --month / 缺少参数 工作簿 (with the choices, when the option has them)."""
    param, ctx = exc.param, exc.ctx
    hint: Any = exc.param_hint if exc.param_hint is not None else (
        param.get_error_hint(ctx) if param is not None and ctx is not None else None)
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(hint)
    kind = exc.param_type or (param.param_type_name if param is not None else "parameter")
    text = ("缺少选项" if kind == "option" else "缺少参数") + (f" {str(hint).strip(chr(39))}" if hint else "")
    extra = param.type.get_missing_message(param=param, ctx=ctx) if param is not None else None
    return f"{text}（{extra}）" if extra else text


class HelpFormatter(click.HelpFormatter):
    """click's help formatter with full-width colons after the headings of a Chinese page."""

    def write_heading(self, heading: str) -> None:
        if current() == "en":
            super().write_heading(heading)
        else:
            self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None and current() != "en":
            prefix = "用法："
        super().write_usage(prog, args, prefix)


class Context(click.Context):
    """A context whose help pages use :class:`HelpFormatter`."""

    formatter_class = HelpFormatter


# --------------------------------------------------------------------------------------------
# click classes whose texts are chosen when shown


class Option(click.Option):
    """An option whose ``help`` and ``metavar`` may be :class:`Text` pairs."""

    def __init__(self, *decls: Any, help: Any = None, metavar: Any = None, **attrs: Any) -> None:  # noqa: A002
        super().__init__(*decls, **attrs)
        self._help_text, self._metavar_text = help, metavar

    @property
    def help(self) -> str | None:
        return _pick(self._help_text)

    @help.setter
    def help(self, value: Any) -> None:
        self._help_text = value

    @property
    def metavar(self) -> str | None:
        return _pick(self._metavar_text)

    @metavar.setter
    def metavar(self, value: Any) -> None:
        self._metavar_text = value


class Argument(click.Argument):
    """An argument whose ``metavar`` may be a :class:`Text` pair (``BOOK`` / ``工作簿``)."""

    def __init__(self, decls: Any, metavar: Any = None, **attrs: Any) -> None:
        super().__init__(decls, **attrs)
        self._metavar_text = metavar

    @property
    def metavar(self) -> str | None:
        return _pick(self._metavar_text)

    @metavar.setter
    def metavar(self, value: Any) -> None:
        self._metavar_text = value


class _Localized:
    """``help``, ``short_help`` and the ``[OPTIONS]`` of the usage line chosen when shown."""

    _help_text: Any = None
    _short_text: Any = None
    _epilog_text: Any = None

    @property
    def help(self) -> str | None:
        return _pick(self._help_text)

    @help.setter
    def help(self, value: Any) -> None:
        self._help_text = value

    @property
    def short_help(self) -> str | None:
        return _pick(self._short_text)

    @short_help.setter
    def short_help(self, value: Any) -> None:
        self._short_text = value

    @property
    def epilog(self) -> str | None:
        return _pick(self._epilog_text)

    @epilog.setter
    def epilog(self, value: Any) -> None:
        self._epilog_text = value

    @property
    def options_metavar(self) -> str | None:
        return tr("[选项]", "[OPTIONS]")

    @options_metavar.setter
    def options_metavar(self, value: Any) -> None:
        pass  # always the localised one

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        opt = click.Command.get_help_option(self, ctx)  # type: ignore[arg-type]
        if opt is not None:  # click caches it with the text of the first run
            opt.help = tr("显示本帮助并退出", "Show this message and exit.")
        return opt


class Command(_Localized, click.Command):
    """A command whose help texts may be :class:`Text` pairs."""

    context_class = Context


class Group(_Localized, click.Group):
    """A group whose help texts may be :class:`Text` pairs; its commands and groups too."""

    command_class = Command
    group_class = type
    context_class = Context

    @property
    def subcommand_metavar(self) -> str:
        return tr("命令 [参数]...", "COMMAND [ARGS]...")

    @subcommand_metavar.setter
    def subcommand_metavar(self, value: Any) -> None:
        pass

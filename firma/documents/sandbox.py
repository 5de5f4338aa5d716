"""The one template sandbox for documents and messages: save-time checks against the catalogue, then rendering.

Documents render with autoescape (HTML); messages as plain text (the e-mail's HTML part escapes them).
Both have a bounded output, so no template can build a huge text, whatever loops or filters it uses.
"""
from __future__ import annotations

import difflib
from functools import lru_cache

import jinja2
from jinja2 import StrictUndefined, nodes, pass_eval_context
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

from firma.documents.catalogue import (
    ALLOWED_FILTERS, CATALOGUE, KIND_LABELS, KIND_NAMESPACES, KIND_PLAIN_VARIABLES, all_variables,
)
from firma.documents.contexts import sample_context
from firma.platform.errors import Refusal

LOOP_FIELDS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
# Loops only walk the characters of a text; two levels are plenty, three make a quick CPU bomb.
MAX_LOOP_DEPTH = 2
# Characters a filled template may have: a document's HTML, and a message (e-mail body, WhatsApp text).
MAX_DOCUMENT_CHARS = 1_000_000
MAX_MESSAGE_CHARS = 10_000

# Expression and statement nodes that cannot reach anything outside the context by themselves.
_PASSIVE = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.If, nodes.CondExpr, nodes.And,
    nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Keyword,
)
_REFUSED_NAMES = {
    nodes.Include: "{% include %}", nodes.Import: "{% import %}", nodes.FromImport: "{% from ... import %}",
    nodes.Extends: "{% extends %}", nodes.Macro: "{% macro %}", nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}", nodes.Assign: "{% set %}", nodes.AssignBlock: "{% set %}",
    nodes.With: "{% with %}", nodes.FilterBlock: "{% filter %}", nodes.Call: "chamada de função",
    nodes.Test: "teste com «is»", nodes.BinExpr: "operação aritmética", nodes.UnaryExpr: "operação aritmética",
    nodes.List: "listas", nodes.Tuple: "listas", nodes.Dict: "dicionários",
}


class TemplateError(Refusal):
    """A template that may not be saved or rendered; the message is for staff, in pt-BR."""

    def __init__(self, message: str, variable: str | None = None, line: int | None = None) -> None:
        if line:
            message = f"{message} (linha {line})"
        super().__init__(message)
        self.variable = variable
        self.line = line


def _too_long(kind: str, limit: int) -> TemplateError:
    what = "A mensagem preenchida" if kind == "message" else "O documento preenchido"
    size = f"{limit:,}".replace(",", ".")  # 10.000, as Brazilians write it
    return TemplateError(f"{what} passaria de {size} caracteres; reduza os laços e as repetições.")


@pass_eval_context
def _replace(eval_ctx, value, old, new, count=None):
    """|replace, refused before it builds a text longer than any output may be (chained replaces grow fast)."""
    text, old_text, new_text = str(value), str(old), str(new)
    hits = text.count(old_text) if old_text else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new_text) - len(old_text)) > MAX_DOCUMENT_CHARS:
        raise _too_long("document", MAX_DOCUMENT_CHARS)
    return FILTERS["replace"](eval_ctx, value, old, new, count)


def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=autoescape, undefined=StrictUndefined)
    env.filters = {name: FILTERS[name] for name in ALLOWED_FILTERS} | {"replace": _replace}
    env.tests = {}
    env.globals = {}
    return env


_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)


def _suggest(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (você quis dizer {match[0]}?)" if match else ""


class _Checker:
    """Walks a parsed template and refuses anything outside the catalogue and the safe node set."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.namespaces = KIND_NAMESPACES[kind]
        self.plain = KIND_PLAIN_VARIABLES.get(kind, frozenset())
        self.used: set[str] = set()
        self.depth = 0

    def check(self, node: nodes.Node, scope: frozenset[str]) -> None:
        if isinstance(node, nodes.Name):
            self._name(node, scope)
        elif isinstance(node, (nodes.Getattr, nodes.Getitem)):
            self._attribute(node, scope)
        elif isinstance(node, nodes.Filter):
            self._filter(node, scope)
        elif isinstance(node, nodes.For):
            self._for(node, scope)
        elif isinstance(node, _PASSIVE):
            for child in node.iter_child_nodes():
                self.check(child, scope)
        else:
            what = next((label for cls, label in _REFUSED_NAMES.items() if isinstance(node, cls)), None)
            what = what or type(node).__name__
            raise TemplateError(f"Recurso não permitido em modelos: {what}", line=node.lineno)

    def _name(self, node: nodes.Name, scope: frozenset[str]) -> None:
        if node.name.startswith("_"):
            raise TemplateError(f"Acesso não permitido: {node.name}", variable=node.name, line=node.lineno)
        if node.name in scope:
            return
        if node.name in self.plain:
            self.used.add(node.name)
            return
        if node.name in self.namespaces:
            example = f"{node.name}.{next(iter(CATALOGUE[node.name]))}"
            raise TemplateError(
                f"Use um campo de {node.name}, por exemplo {{{{ {example} }}}}", variable=node.name, line=node.lineno
            )
        self._unknown_name(node)

    def _unknown_name(self, node: nodes.Name) -> None:
        if node.name in CATALOGUE:
            kinds = ", ".join(KIND_LABELS[k] for k, allowed in KIND_NAMESPACES.items() if node.name in allowed)
            raise TemplateError(
                f"As variáveis de {node.name} não existem em {KIND_LABELS[self.kind]}; só em: {kinds}",
                variable=node.name, line=node.lineno,
            )
        hint = _suggest(node.name, sorted(self.namespaces))
        if not hint:
            fields = [v for v in all_variables(self.namespaces) if v.split(".")[1] == node.name]
            hint = f" (você quis dizer {fields[0]}?)" if fields else ""
        raise TemplateError(
            f"Variável desconhecida: {{{{ {node.name} }}}}{hint}", variable=node.name, line=node.lineno
        )

    def _attribute(self, node: nodes.Getattr | nodes.Getitem, scope: frozenset[str]) -> None:
        if isinstance(node, nodes.Getitem):
            if not (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)):
                raise TemplateError("Acesso com índice não permitido; use nome.campo", line=node.lineno)
            field = node.arg.value
        else:
            field = node.attr
        base = node.node
        base_name = base.name if isinstance(base, nodes.Name) else None
        dotted = f"{base_name}.{field}" if base_name else field
        if field.startswith("_") or (base_name or "").startswith("_"):
            raise TemplateError(f"Acesso não permitido: {dotted}", variable=dotted, line=node.lineno)
        if base_name == "loop" and "loop" in scope:
            if field not in LOOP_FIELDS:
                raise TemplateError(f"Campo desconhecido: loop.{field}", variable=dotted, line=node.lineno)
            return
        if base_name is None or base_name in scope or base_name in self.plain:
            raise TemplateError(
                f"Acesso não permitido: .{field} só vale para variáveis do catálogo", variable=field,
                line=node.lineno,
            )
        if base_name not in self.namespaces:
            self._unknown_name(base)
        if field not in CATALOGUE[base_name]:
            hint = _suggest(dotted, all_variables(self.namespaces))
            raise TemplateError(f"Variável desconhecida: {{{{ {dotted} }}}}{hint}", variable=dotted, line=node.lineno)
        self.used.add(dotted)

    def _filter(self, node: nodes.Filter, scope: frozenset[str]) -> None:
        if node.name not in ALLOWED_FILTERS:
            hint = _suggest(node.name, list(ALLOWED_FILTERS))
            allowed = ", ".join(ALLOWED_FILTERS)
            raise TemplateError(
                f"Filtro desconhecido: |{node.name}{hint}; filtros permitidos: {allowed}",
                variable=node.name, line=node.lineno,
            )
        if node.dyn_args or node.dyn_kwargs:
            raise TemplateError("Argumentos variáveis não são permitidos em filtros", line=node.lineno)
        for child in node.iter_child_nodes():
            self.check(child, scope)

    def _for(self, node: nodes.For, scope: frozenset[str]) -> None:
        if self.depth >= MAX_LOOP_DEPTH:
            raise TemplateError(f"No máximo {MAX_LOOP_DEPTH} laços {{% for %}} um dentro do outro",
                                line=node.lineno)
        self.check(node.iter, scope)
        target = node.target
        targets = [target.name] if isinstance(target, nodes.Name) else [n.name for n in target.find_all(nodes.Name)]
        for name in targets:
            if name.startswith("_") or name in CATALOGUE or name in self.plain:
                raise TemplateError(f"Nome de variável de laço não permitido: {name}", variable=name,
                                    line=node.lineno)
        inner = scope | set(targets) | {"loop"}
        self.depth += 1
        for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
            self.check(child, inner)
        self.depth -= 1


def _parse(body: str) -> nodes.Template:
    try:
        return _ENV.parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Erro de sintaxe no modelo: {exc.message}", line=exc.lineno) from None


def validate_template(body: str, kind: str = "contract") -> set[str]:
    """Dotted catalogue variables a template uses; raises TemplateError for anything unsafe or unknown."""
    if kind not in KIND_NAMESPACES:
        raise ValueError(f"unknown template kind: {kind}")
    checker = _Checker(kind)
    checker.check(_parse(body), frozenset())
    return checker.used


@lru_cache(maxsize=256)
def _compiled(body: str, kind: str) -> tuple[jinja2.Template, frozenset[str]]:
    used = validate_template(body, kind)
    return (_TEXT_ENV if kind == "message" else _ENV).from_string(body), frozenset(used)


def _bounded(template: jinja2.Template, context: dict, kind: str) -> str:
    limit = MAX_MESSAGE_CHARS if kind == "message" else MAX_DOCUMENT_CHARS
    parts, size = [], 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > limit:
            raise _too_long(kind, limit)
        parts.append(chunk)
    return "".join(parts)


def render(body: str, context: dict, kind: str) -> str:
    """A template of this kind filled in the sandbox, its output bounded; TemplateError (pt-BR) otherwise."""
    template, _ = _compiled(body, kind)
    what = "a mensagem" if kind == "message" else "o modelo"
    try:
        return _bounded(template, context, kind)
    except TemplateError:
        raise
    except jinja2.TemplateError as exc:
        raise TemplateError(f"Não foi possível preencher {what}: {exc.message}") from None
    except (TypeError, ValueError) as exc:  # e.g. |round applied to text
        raise TemplateError(f"Não foi possível preencher {what}: {exc}") from None


def render_body(body: str, context: dict) -> str:
    """HTML of a document template body rendered in the sandbox; context values are always escaped text."""
    return render(body, context, "service_order" if "os" in context else "contract")


def check(body: str, kind: str) -> set[str]:
    """The save-time check: catalogue and safe constructs only, and it fills sample values within the limits."""
    used = validate_template(body, kind)
    render(body, sample_context(kind), kind)
    return used


def used_variables(body: str, kind: str) -> frozenset[str]:
    """The variables of a (valid) body, from the compile cache."""
    return _compiled(body, kind)[1]

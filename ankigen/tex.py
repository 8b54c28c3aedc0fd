"""TeX as Anki shows it: which formulas MathJax typesets on each card, and which TeX commands we allow there.

Anki runs MathJax on every card, and MathJax turns some TeX into HTML of its
own (``\\href`` makes links, ``\\style`` and ``\\bbox`` inline CSS that can load
from the web, ``\\class`` and ``\\data`` attributes). The sanitiser never sees
that HTML, so the TeX itself must be checked, and checked exactly where
MathJax will look, on every card a field is shown on:

1. ``card_views``: a cloze field as Anki renders each of its cards, front and
   back (a port of Anki's rslib/src/cloze.rs: nested clozes, hints, tags
   stripped inside what Anki takes for math);
2. ``typeset_strings``: the text MathJax reads from that HTML (its
   HTMLDomStrings: entities decoded, a new string at every element but
   ``<br>``, code and pre skipped);
3. ``formulas``: MathJax's FindTeX on each string (a ``\\)`` inside braces does
   not end the formula);
4. ``disallowed_command``: every command in a formula must be on the allowlist
   below, checked as written, so nothing outside the list can reach MathJax.

Everything here runs in time linear in the text: where MathJax's own search
would be quadratic (thousands of unclosed ``\\(``), the rest of the string is
checked as if it were all math, which only ever checks more.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser

# -- 0. Where authors wrote math ------------------------------------------------------------------------

_MATH_OPENINGS = {"\\(": "\\)", "\\[": "\\]"}
_MATH_OPENING = re.compile(r"\\[(\[]")


def math_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where ``\\(...\\)`` and ``\\[...\\]`` are in ``text``: each opening with the first matching closing after it.

    Linear in the text: once an opening has no closing, no later one of its kind has either.
    """
    position = 0
    unclosed: set[str] = set()
    while (opening := _MATH_OPENING.search(text, position)) is not None:
        kind = opening.group()
        end = -1 if kind in unclosed else text.find(_MATH_OPENINGS[kind], opening.end() + 1)
        if end < 0:
            unclosed.add(kind)
            if len(unclosed) == 2:
                return
            position = opening.end()
            continue
        yield opening.start(), end + 2
        position = end + 2



# -- 1. Anki's cloze rendering ---------------------------------------------------------------------------

_CLOZE_OPEN = re.compile(r"\{\{c([0-9,]*)::")


def _cloze_tokens(text: str) -> Iterator[tuple[str, str]]:
    """Anki's tokenizer: ('open', numbers), ('close', '}}') and ('text', run), in order."""
    position = 0
    opening = _next_opening(text, 0)
    closing = text.find("}}")
    while position < len(text):
        if opening is not None and opening.start() < position:
            opening = _next_opening(text, position)
        if 0 <= closing < position:
            closing = text.find("}}", position)
        if opening is not None and (closing < 0 or opening.start() <= closing):
            if opening.start() > position:
                yield "text", text[position:opening.start()]
            yield "open", opening.group(1)
            position = opening.end()
        elif closing >= 0:
            if closing > position:
                yield "text", text[position:closing]
            yield "close", "}}"
            position = closing + 2
        else:
            yield "text", text[position:]
            return


def _next_opening(text: str, position: int) -> re.Match[str] | None:
    """The next '{{cN::' from ``position`` that Anki takes for an opening (at least one number it can read)."""
    for match in _CLOZE_OPEN.finditer(text, position):
        if _numbers(match.group(1)):
            return match
    return None


def _numbers(spec: str) -> set[int]:
    """The card numbers in '1,2' as Anki reads them (u16: larger numbers are left out)."""
    return {int(part) for part in spec.split(",") if part and int(part) <= 0xFFFF}


class _Cloze:
    def __init__(self, numbers: str) -> None:
        self.numbers = _numbers(numbers)
        self.nodes: list[str | _Cloze] = []
        self.hint: str | None = None


_MAX_OPEN_CLOZES = 10  # Anki ignores openings past this depth


def _parse_clozes(text: str) -> list[str | _Cloze]:
    open_clozes: list[_Cloze] = []
    output: list[str | _Cloze] = []
    for kind, value in _cloze_tokens(text):
        if kind == "open":
            if len(open_clozes) < _MAX_OPEN_CLOZES:
                open_clozes.append(_Cloze(value))
        elif kind == "text":
            if open_clozes:
                cloze = open_clozes[-1]
                if not value.startswith("image-occlusion:") and "::" in value:
                    value, cloze.hint = value.split("::", 1)
                cloze.nodes.append(value)
            else:
                output.append(value)
        elif open_clozes:
            closed = open_clozes.pop()
            (open_clozes[-1].nodes if open_clozes else output).append(closed)
        else:
            output.append("}}")
    return output


def cloze_numbers(text: str) -> set[int]:
    """The card numbers Anki makes from a cloze field."""
    numbers: set[int] = set()
    stack: list[str | _Cloze] = list(_parse_clozes(text))
    while stack:
        node = stack.pop()
        if isinstance(node, _Cloze):
            numbers |= node.numbers - {0}
            stack.extend(node.nodes)
    return numbers


def _reveal(cloze: _Cloze, number: int, question: bool, out: list[str]) -> None:
    active = number in cloze.numbers
    if question and active:
        inner: list[str] = []
        for node in cloze.nodes:
            inner.append(node) if isinstance(node, str) else _reveal(node, number, question, inner)
        out.append(f'<span class="cloze" data-cloze="{html.escape("".join(inner), quote=True)}">'
                   f"[{cloze.hint if cloze.hint is not None else '...'}]</span>")
        return
    out.append('<span class="cloze">' if active else '<span class="cloze-inactive">')
    for node in cloze.nodes:
        out.append(node) if isinstance(node, str) else _reveal(node, number, question, out)
    out.append("</span>")


# Anki's own idea of where math is, for stripping tags inside it: lazy, and '\(' may end with '\]'.
_ANKI_MATH_OPEN = re.compile(r"\\[(\[]")
_ANKI_MATH_CLOSE = re.compile(r"\\[)\]]")
# Anki's strip_html_preserving_entities.
_ANKI_HTML = re.compile(r"<!--.*?-->|<style.*?>.*?</style>|<script.*?>.*?</script>|<.*?>",
                        re.DOTALL | re.IGNORECASE)


def _strip_html_inside_math(text: str) -> str:
    """Anki's strip_html_inside_mathjax, in linear time (Anki's regex is lazy: each opening takes the next close)."""
    out = []
    position = 0
    while (opening := _ANKI_MATH_OPEN.search(text, position)) is not None:
        closing = _ANKI_MATH_CLOSE.search(text, opening.end())
        if closing is None:
            break
        out += [text[position:opening.end()], _ANKI_HTML.sub("", text[opening.end():closing.start()]),
                closing.group()]
        position = closing.end()
    out.append(text[position:])
    return "".join(out)


def card_views(field_html: str) -> Iterator[str]:
    """A cloze field's HTML as Anki renders it on the front and back of each of its cards."""
    nodes = _parse_clozes(field_html)
    for number in sorted(cloze_numbers(field_html)):
        for question in (True, False):
            out: list[str] = []
            for node in nodes:
                out.append(node) if isinstance(node, str) else _reveal(node, number, question, out)
            yield _strip_html_inside_math("".join(out))


# -- 2. The text MathJax reads ---------------------------------------------------------------------------

# MathJax's defaults, which Anki keeps: these are not typeset, and these tags join the text around them.
_SKIPPED = frozenset({"script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml"})
_JOINING = {"br": "\n", "wbr": ""}
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})


class _DomStrings(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self._current: list[str] = []
        self._skipping: list[str] = []

    def _push(self) -> None:
        if self._current:
            self.strings.append("".join(self._current))
            self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _JOINING:
            if not self._skipping:
                self._current.append(_JOINING[tag])
            return
        self._push()
        if tag in _SKIPPED and tag not in _VOID:
            self._skipping.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _JOINING:
            self.handle_starttag(tag, attrs)
        else:
            self._push()

    def handle_endtag(self, tag: str) -> None:
        if tag in _JOINING:
            return
        self._push()
        if self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)


def typeset_strings(card_html: str) -> list[str]:
    """The strings MathJax searches for math in ``card_html``, entities decoded."""
    parser = _DomStrings()
    parser.feed(card_html)
    parser.close()
    parser._push()
    return parser.strings


# -- 3. MathJax's FindTeX ----------------------------------------------------------------------------------

_START = re.compile(r"\\\(|\\\[")
_ENDS = {"\\(": re.compile(r"\\\)|\\.|[{}]", re.DOTALL), "\\[": re.compile(r"\\\]|\\.|[{}]", re.DOTALL)}


def formulas(text: str) -> Iterator[str]:
    """Each formula MathJax's FindTeX finds in one string (Anki's delimiters), delimiters included.

    Once its search has scanned more than a few times the string's length (many
    unclosed openings), the rest of the string from the next opening is given
    as one formula: a superset of what MathJax would typeset, found in linear time.
    """
    budget = 8 * len(text) + 4096
    position = 0
    while (start := _START.search(text, position)) is not None:
        close = start.group()[0] + (")" if start.group() == "\\(" else "]")
        braces = 0
        end = None
        for token in _ENDS[start.group()].finditer(text, start.end()):
            budget -= token.end() - token.start() + 1
            value = token.group()
            if value == close and braces == 0:
                end = token.end()
                break
            if value == "{":
                braces += 1
            elif value == "}" and braces:
                braces -= 1
            if budget < 0:
                yield text[start.start():]
                return
        if end is not None:
            yield text[start.start():end]
            position = end
        else:
            budget -= len(text) - start.end()
            if budget < 0:
                yield text[start.start():]
                return
            position = start.end()


# -- 4. The allowlist ------------------------------------------------------------------------------------

# TeX commands allowed in math: what math decks use, none of which MathJax makes into links, styles,
# classes, ids, data attributes, extension loads or new macros. A command missing here is an error
# with a hint, never a silent pass: the list only grows on purpose. tests/test_mathjax_in_anki.py typesets
# each with Anki's own MathJax ('\tag{x}' is left out: MathJax gives its row the id 'mjx-eqn:x').
ALLOWED_COMMANDS = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi omicron pi
varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon
Phi Psi Omega varGamma varDelta varTheta varLambda varXi varPi varSigma varUpsilon varPhi varPsi varOmega digamma
aleph beth gimel daleth ell hbar hslash imath jmath Re Im wp partial nabla infty emptyset varnothing complement eth
Bbbk mho
pm mp times div cdot ast star circ bullet oplus ominus otimes oslash odot bigcirc dagger ddagger cap cup
uplus sqcap sqcup vee wedge setminus smallsetminus wr diamond bigtriangleup bigtriangledown triangleleft
triangleright lhd rhd unlhd unrhd amalg centerdot dotplus ltimes rtimes leftthreetimes rightthreetimes
circleddash circledast circledcirc boxplus boxminus boxtimes boxdot divideontimes intercal barwedge veebar
doublebarwedge curlywedge curlyvee Cap Cup land lor lnot neg
leq le geq ge neq ne equiv approx approxeq cong sim simeq asymp propto varpropto prec succ preceq succeq ll gg
lll ggg subset supset subseteq supseteq subsetneq supsetneq nsubseteq nsupseteq sqsubset sqsupset sqsubseteq
sqsupseteq in ni notin owns mid nmid parallel nparallel perp models vdash dashv vDash Vdash Vvdash smile frown
bowtie Join doteq doteqdot triangleq lesssim gtrsim lessapprox gtrapprox leqslant geqslant eqslantless
eqslantgtr lessgtr gtrless lesseqgtr gtreqless nless ngtr nleq ngeq nleqslant ngeqslant lneq gneq lneqq gneqq
leqq geqq nsim ncong therefore because coloneqq eqqcolon coloneq Coloneqq colon
leftarrow rightarrow to gets Leftarrow Rightarrow leftrightarrow Leftrightarrow longleftarrow longrightarrow
Longleftarrow Longrightarrow longleftrightarrow Longleftrightarrow iff implies impliedby mapsto longmapsto
uparrow downarrow updownarrow Uparrow Downarrow Updownarrow nearrow searrow swarrow nwarrow hookleftarrow
hookrightarrow leftharpoonup leftharpoondown rightharpoonup rightharpoondown rightleftharpoons leftrightharpoons
rightleftarrows leftrightarrows rightrightarrows leftleftarrows twoheadrightarrow twoheadleftarrow
rightsquigarrow leadsto circlearrowleft circlearrowright curvearrowleft curvearrowright upharpoonleft
upharpoonright downharpoonleft downharpoonright nleftarrow nrightarrow nLeftarrow nRightarrow nleftrightarrow
nLeftrightarrow xrightarrow xleftarrow xRightarrow xLeftarrow xleftrightarrow xLeftrightarrow xmapsto
sum prod coprod int iint iiint iiiint oint idotsint bigcap bigcup bigsqcup bigvee bigwedge bigodot bigoplus
bigotimes biguplus
arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd hom inf ker lg lim liminf limsup ln log max min
Pr sec sin sinh sup tan tanh operatorname injlim projlim varliminf varlimsup varinjlim varprojlim
hat widehat tilde widetilde bar overline underline vec overrightarrow overleftarrow overleftrightarrow
underrightarrow underleftarrow underleftrightarrow dot ddot dddot ddddot acute grave breve check mathring
overbrace underbrace overset underset stackrel overparen underparen
frac dfrac tfrac cfrac sqrt root of binom dbinom tbinom over choose atop above brace brack genfrac substack
sideset
left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm biggm Biggm langle
rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert backslash lbrace rbrace lbrack rbrack ulcorner
urcorner llcorner lrcorner lgroup rgroup lmoustache rmoustache
mathrm mathit mathbf mathsf mathtt mathcal mathscr mathbb mathfrak mathnormal boldsymbol rm it bf sf tt cal
scr frak Bbb pmb textrm textit textbf textsf texttt textnormal text mbox hbox textup
displaystyle textstyle scriptstyle scriptscriptstyle
quad qquad thinspace enspace negthinspace negmedspace negthickspace hspace kern mkern
mskip hskip mspace space nobreakspace phantom hphantom vphantom smash
ldots cdots vdots ddots dots dotsb dotsc dotsi dotsm dotso
prime backprime angle measuredangle sphericalangle triangle square blacksquare lozenge blacklozenge bigstar top
bot forall exists nexists flat natural sharp clubsuit diamondsuit heartsuit spadesuit surd checkmark maltese
degree circledR circledS yen S
limits nolimits bmod pmod mod pod
boxed cancel bcancel xcancel cancelto not
begin end hline hdashline cr newline notag nonumber
ce pu bra ket braket Bra Ket Braket
lt gt mathop mathbin mathrel mathord mathstrut strut fbox Box
tiny scriptsize small normalsize large Large LARGE huge Huge
""".split())
# Environments allowed in \\begin{...}: MathJax's math environments, none of which takes options that style.
ALLOWED_ENVIRONMENTS = frozenset("""
matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix array subarray cases dcases rcases aligned alignedat
gathered split align align* alignat alignat* gather gather* equation equation* multline multline* eqnarray
eqnarray* CD
""".split())
# Colours by name only (as "\color{red}"): MathJax puts the value into CSS.
_COLOUR_COMMANDS = frozenset({"color", "textcolor"})
_COMMAND = re.compile(r"\\([A-Za-z]+)|\\.", re.DOTALL)
_NAMED_ARGUMENT = re.compile(r"\s*\{\s*([A-Za-z]+\*?)\s*\}")


def disallowed_command(formula: str) -> str | None:
    """The first command in ``formula`` that is not allowed, as written (such as '\\href'), or None."""
    for match in _COMMAND.finditer(formula):
        name = match.group(1)
        if name is None or (name in ALLOWED_COMMANDS and name not in ("begin", "end")):
            continue
        if name in ("begin", "end") or name in _COLOUR_COMMANDS:
            argument = _NAMED_ARGUMENT.match(formula, match.end())
            allowed = ALLOWED_ENVIRONMENTS if name in ("begin", "end") else None
            if argument and (allowed is None or argument.group(1) in allowed):
                continue
            return formula[match.start():argument.end()] if argument else match.group()
        return match.group()
    return None


def holds_no_tex(field_html: str) -> bool:
    """Whether the field, entities decoded, has no backslash: then no card showing it holds a TeX command or a
    formula, and neither this module nor mathml.py has anything to look for in it."""
    return "\\" not in field_html and ("&" not in field_html or "\\" not in html.unescape(field_html))


def unsafe_command(field_html: str, is_cloze: bool = False) -> str | None:
    """The first TeX command MathJax would see on any card showing ``field_html`` that is not allowed, if any."""
    if holds_no_tex(field_html):
        return None
    if _only_harmless_backslashes(field_html):
        return None
    views = card_views(field_html) if is_cloze and "{{c" in field_html else iter((field_html,))
    for view in views:
        if _only_plain_commands(view):
            continue
        for string in typeset_strings(view):
            if "\\" not in string:
                continue
            for formula in formulas(string):
                command = disallowed_command(formula)
                if command is not None:
                    return command
    return None


# What joins text the raw HTML keeps apart into one of MathJax's strings with nothing between: comments,
# <wbr>, </br>, and what HTMLParser drops (declarations, processing instructions, bogus comments).
_JOINS_TEXT = re.compile(r"<(?:[!?]|/?wbr\b|/br\b|/(?![A-Za-z]))", re.IGNORECASE)
_LETTER_COMMAND = re.compile(r"\\([A-Za-z]+)")
# Commands allowed whatever follows them.
_PLAIN_COMMANDS = ALLOWED_COMMANDS - {"begin", "end"} - _COLOUR_COMMANDS


def _only_plain_commands(view: str) -> bool:
    """Whether every TeX command anywhere in ``view`` (tags included, entities decoded) is allowed whatever
    follows it: then no formula MathJax finds in it holds another, and it need not be parsed.

    Each of MathJax's strings is a piece of the decoded HTML, except where text is joined across a comment,
    <wbr> and the like, which this leaves to the parser; a backslash and letters are a command wherever they
    are, so none is missed however backslashes pair up.
    """
    if _JOINS_TEXT.search(view):
        return False
    text = html.unescape(view) if "&" in view else view
    return all(name in _PLAIN_COMMANDS for name in _LETTER_COMMAND.findall(text))


# A backslash or '&' in a field that could make a command on some card: a backslash not before a math delimiter
# or a run of letters ended by a character no card changes (not at a cloze's '{{', '}}' or '::', a tag or an
# entity), or an '&' that is not one of the entities the renderer writes.
_JOINABLE = re.compile(r"\\(?![()\[\]]|[A-Za-z]+(?:[^A-Za-z{}:<&]|\{(?!\{)|\}(?!\})|:(?!:)))"
                       r"|&(?!(?:lt|gt|amp|quot|#x27);)")


def _only_harmless_backslashes(field_html: str) -> bool:
    """Whether no card showing ``field_html`` can hold a TeX command that is not allowed whatever follows it,
    found without making its cards: a shortcut of ``unsafe_command`` for the usual field.

    Each card is the field's text cut at its cloze markup ('{{cN::', '::', '}}') and its tags, with markup put
    in or taken out at those cuts and entities decoded. A backslash followed by a delimiter, or by letters and
    then a character that is none of those cuts, keeps what follows it on every card; the entities allowed
    here decode to '<', '>', '&', '"' and "'", never to a backslash or a letter. So when every backslash is
    such, and every command it starts is allowed whatever follows it, every card's commands are these.
    tests/test_fast_derive.py checks that ``unsafe_command`` answers the same with and without it.
    """
    if _JOINABLE.search(field_html):
        return False
    return all(name in _PLAIN_COMMANDS for name in _LETTER_COMMAND.findall(field_html))

"""Every fixed text a learner sees on a card or a study sheet, in each language a deck may be written in.

A deck's ``lang:`` (a BCP 47 tag) picks one entry of ``LANGUAGES`` with
``resolve``: the tag itself when it is a key (``de``, ``pt-PT``,
``zh-Hant``), else by its primary language (``de-AT`` is German, ``pt-BR``
is Portuguese as written in Brazil, ``zh-TW`` is Chinese in traditional
characters). English is the default, and its entry is exactly the text
ankigen has always written (the shipped deck's bytes depend on it).

Labels with ``{name}`` fields are ``str.format`` patterns; a ``Counted`` gives
a number with its noun in the form the language's plural rule asks for. Pure
data: nothing here reads a source or knows a card.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

# A well-formed BCP 47 language tag (RFC 5646, section 2.1; grandfathered tags aside): language (2-3 letters
# with up to three extlangs, or 5-8 letters), script, region, variants, extensions, private use. The JSON
# Schema's 'lang' pattern is this very expression (tests/test_labels.py keeps them equal).
TAG_PATTERN = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{5,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$")

DEFAULT = "en"


def _one_other(count: int) -> int:  # English, German, Dutch, Italian, Spanish, European Portuguese
    return 0 if count == 1 else 1


def _zero_one_other(count: int) -> int:  # French, Brazilian Portuguese: 0 and 1 take the singular
    return 0 if count in (0, 1) else 1


def _no_plural(count: int) -> int:  # Japanese, Chinese
    return 0


def _hebrew(count: int) -> int:  # one, two, other
    return 0 if count == 1 else 1 if count == 2 else 2


def _arabic(count: int) -> int:  # zero, one, two, few (3-10), many (11-99), other (CLDR's categories)
    if count in (0, 1, 2):
        return count
    rest = count % 100
    return 3 if 3 <= rest <= 10 else 4 if 11 <= rest <= 99 else 5


@dataclass(frozen=True)
class Counted:
    """A number with its noun: one ``{n}`` pattern per plural form, picked by the language's ``plural`` rule."""

    forms: tuple[str, ...]


@dataclass(frozen=True)
class Labels:
    """One language's fixed texts. English names the fields; see the English entry for what each says."""

    name: str  # the language's name in English, for messages
    direction: Literal["ltr", "rtl"]
    plural: Callable[[int], int]
    # The cards (templates and fields)
    myth_or_fact: str  # the "myth or fact?" card's question and card name
    which_not_true: str  # the multiple-choice card's question (and the sheet's quiz)
    which_not_true_short: str  # its card name, and its printed flashcard's label
    not_true: str  # {letter}: the answer of the multiple-choice card
    myth: str  # the verdict at the start of a myth's Fact field
    fact: str  # the verdict at the start of a true statement's Fact field (and the sheet's fact badge)
    the_myth_it_answers: str  # {myth}: on a true statement's back
    myth_context: str  # {myth}: under a cloze card's text
    technique: str
    limitation: str
    source: str  # {citation}: on every card's back
    letters: str  # the multiple-choice options' letters, in order
    # The study sheet
    myth_number: str  # {number}
    also_true: str
    techniques: str
    limitations: str
    true_or_false: str
    mark_each: str
    tick: str  # where the learner marks true or false
    verdict_myth: str  # the answer key's verdict of a myth
    verdict_true: str  # ... and of a true statement
    circle_letter: str
    answer_key: str
    to_answer: str  # {counts}
    filled_in: str  # {counts}
    list_separator: str  # between the counts
    myths: Counted
    sentences: Counted
    statements: Counted
    questions: Counted
    # The printed flashcards (--layout cards)
    flashcards: str  # {name}
    flashcards_howto: str  # {cards}, {sheets}
    cards: Counted
    sheets: Counted
    fronts: str
    backs: str
    sheet_of: str  # {sheet}, {sheets}, {first}, {last}
    backs_howto: str
    answer: str
    image: str  # printed for an image the deck does not carry, when it has no description
    page_of: str  # {page}, {pages}: the printed sheet's page numbers

    def count(self, number: int, what: Counted) -> str:
        """``number`` with its noun, as ``what`` writes it in this language."""
        return what.forms[min(self.plural(number), len(what.forms) - 1)].format(n=number)


ENGLISH = Labels(
    name="English", direction="ltr", plural=_one_other,
    myth_or_fact="Myth or fact?",
    which_not_true="Which of these is NOT true?",
    which_not_true_short="Which is NOT true?",
    not_true="Not true: {letter}",
    myth="Myth",
    fact="Fact",
    the_myth_it_answers="The myth it answers: {myth}",
    myth_context="Myth: {myth}",
    technique="Technique",
    limitation="Limitation",
    source="Source: {citation}",
    letters="ABCD",
    myth_number="Myth {number}",
    also_true="Also true",
    techniques="Techniques",
    limitations="Limitations",
    true_or_false="True or false?",
    mark_each="Mark each statement T if it is true, F if it is a myth.",
    tick="T / F",
    verdict_myth="False: a myth",
    verdict_true="True",
    circle_letter="In each question, one statement is a myth: circle its letter.",
    answer_key="Answer key",
    to_answer="{counts} to answer. The answer key is at the end.",
    filled_in="{counts}, answers filled in for revision.",
    list_separator=", ",
    myths=Counted(("{n} myth", "{n} myths")),
    sentences=Counted(("{n} sentence", "{n} sentences")),
    statements=Counted(("{n} true-or-false statement", "{n} true-or-false statements")),
    questions=Counted(("{n} multiple-choice question", "{n} multiple-choice questions")),
    flashcards="{name}: flashcards",
    flashcards_howto="{cards} on {sheets}. Print double-sided at actual size (100%), flipping on the long edge: "
                     "each back lands behind its front. Cut along the crop marks.",
    cards=Counted(("{n} card", "{n} cards")),
    sheets=Counted(("{n} sheet", "{n} sheets")),
    fronts="Fronts",
    backs="Backs",
    sheet_of="sheet {sheet} of {sheets}, cards {first}–{last}",
    backs_howto="print on the back of the fronts, long-edge flip",
    answer="Answer",
    image="image",
    page_of="Page {page} of {pages}",
)

GERMAN = Labels(
    name="German", direction="ltr", plural=_one_other,
    myth_or_fact="Mythos oder Fakt?",
    which_not_true="Welche dieser Aussagen ist NICHT wahr?",
    which_not_true_short="Was ist NICHT wahr?",
    not_true="Nicht wahr: {letter}",
    myth="Mythos",
    fact="Fakt",
    the_myth_it_answers="Zum Mythos: {myth}",
    myth_context="Mythos: {myth}",
    technique="Technik",
    limitation="Einschränkung",
    source="Quelle: {citation}",
    letters="ABCD",
    myth_number="Mythos {number}",
    also_true="Ebenfalls wahr",
    techniques="Techniken",
    limitations="Einschränkungen",
    true_or_false="Wahr oder falsch?",
    mark_each="Markieren Sie jede Aussage mit W, wenn sie wahr ist, und mit F, wenn sie ein Mythos ist.",
    tick="W / F",
    verdict_myth="Falsch: ein Mythos",
    verdict_true="Wahr",
    circle_letter="In jeder Frage ist eine Aussage ein Mythos: Kreisen Sie ihren Buchstaben ein.",
    answer_key="Lösungen",
    to_answer="{counts} zum Bearbeiten. Die Lösungen stehen am Ende.",
    filled_in="{counts}, mit eingetragenen Antworten zum Wiederholen.",
    list_separator=", ",
    myths=Counted(("{n} Mythos", "{n} Mythen")),
    sentences=Counted(("{n} Lückensatz", "{n} Lückensätze")),
    statements=Counted(("{n} Wahr-oder-falsch-Aussage", "{n} Wahr-oder-falsch-Aussagen")),
    questions=Counted(("{n} Multiple-Choice-Frage", "{n} Multiple-Choice-Fragen")),
    flashcards="{name}: Lernkarten",
    flashcards_howto="{cards} auf {sheets}. Doppelseitig in Originalgröße (100 %) drucken, über die lange Kante "
                     "wenden: Jede Rückseite liegt dann hinter ihrer Vorderseite. An den Schnittmarken ausschneiden.",
    cards=Counted(("{n} Karte", "{n} Karten")),
    sheets=Counted(("{n} Blatt", "{n} Blatt")),
    fronts="Vorderseiten",
    backs="Rückseiten",
    sheet_of="Blatt {sheet} von {sheets}, Karten {first}–{last}",
    backs_howto="auf die Rückseite der Vorderseiten drucken, über die lange Kante wenden",
    answer="Antwort",
    image="Bild",
    page_of="Seite {page} von {pages}",
)

FRENCH = Labels(
    name="French", direction="ltr", plural=_zero_one_other,
    myth_or_fact="Mythe ou réalité\u00a0?",
    which_not_true="Laquelle de ces affirmations n’est PAS vraie\u00a0?",
    which_not_true_short="Laquelle n’est PAS vraie\u00a0?",
    not_true="Pas vraie\u00a0: {letter}",
    myth="Mythe",
    fact="Réalité",
    the_myth_it_answers="Le mythe qu’elle corrige\u00a0: {myth}",
    myth_context="Mythe\u00a0: {myth}",
    technique="Technique",
    limitation="Limite",
    source="Source\u00a0: {citation}",
    letters="ABCD",
    myth_number="Mythe {number}",
    also_true="Autres affirmations vraies",
    techniques="Techniques",
    limitations="Limites",
    true_or_false="Vrai ou faux\u00a0?",
    mark_each="Notez V devant chaque affirmation vraie, F devant chaque mythe.",
    tick="V / F",
    verdict_myth="Faux\u00a0: un mythe",
    verdict_true="Vrai",
    circle_letter="Dans chaque question, une affirmation est un mythe\u00a0: entourez sa lettre.",
    answer_key="Corrigé",
    to_answer="{counts} à traiter. Le corrigé se trouve à la fin.",
    filled_in="{counts}, réponses incluses pour réviser.",
    list_separator=", ",
    myths=Counted(("{n} mythe", "{n} mythes")),
    sentences=Counted(("{n} phrase à trous", "{n} phrases à trous")),
    statements=Counted(("{n} affirmation vrai ou faux", "{n} affirmations vrai ou faux")),
    questions=Counted(("{n} question à choix multiple", "{n} questions à choix multiple")),
    flashcards="{name}\u00a0: cartes mémoire",
    flashcards_howto="{cards} sur {sheets}. Imprimez en recto verso, à taille réelle (100\u00a0%), retournement "
                     "sur le bord long\u00a0: chaque verso tombe derrière son recto. Découpez le long des traits "
                     "de coupe.",
    cards=Counted(("{n} carte", "{n} cartes")),
    sheets=Counted(("{n} feuille", "{n} feuilles")),
    fronts="Rectos",
    backs="Versos",
    sheet_of="feuille {sheet} sur {sheets}, cartes {first}–{last}",
    backs_howto="à imprimer au dos des rectos, retournement sur le bord long",
    answer="Réponse",
    image="image",
    page_of="Page {page} sur {pages}",
)

SPANISH = Labels(
    name="Spanish", direction="ltr", plural=_one_other,
    myth_or_fact="¿Mito o realidad?",
    which_not_true="¿Cuál de estas afirmaciones NO es verdadera?",
    which_not_true_short="¿Cuál NO es verdadera?",
    not_true="No es verdadera: {letter}",
    myth="Mito",
    fact="Realidad",
    the_myth_it_answers="El mito que desmiente: {myth}",
    myth_context="Mito: {myth}",
    technique="Técnica",
    limitation="Limitación",
    source="Fuente: {citation}",
    letters="ABCD",
    myth_number="Mito {number}",
    also_true="Otras afirmaciones verdaderas",
    techniques="Técnicas",
    limitations="Limitaciones",
    true_or_false="¿Verdadero o falso?",
    mark_each="Marca cada afirmación con V si es verdadera y con F si es un mito.",
    tick="V / F",
    verdict_myth="Falso: un mito",
    verdict_true="Verdadero",
    circle_letter="En cada pregunta, una afirmación es un mito: rodea su letra con un círculo.",
    answer_key="Soluciones",
    to_answer="{counts} por responder. Las soluciones están al final.",
    filled_in="{counts}, con las respuestas completadas para repasar.",
    list_separator=", ",
    myths=Counted(("{n} mito", "{n} mitos")),
    sentences=Counted(("{n} frase para completar", "{n} frases para completar")),
    statements=Counted(("{n} afirmación de verdadero o falso", "{n} afirmaciones de verdadero o falso")),
    questions=Counted(("{n} pregunta de opción múltiple", "{n} preguntas de opción múltiple")),
    flashcards="{name}: tarjetas de estudio",
    flashcards_howto="{cards} en {sheets}. Imprime a doble cara, a tamaño real (100 %), volteando por el borde "
                     "largo: cada reverso queda detrás de su anverso. Recorta por las marcas de corte.",
    cards=Counted(("{n} tarjeta", "{n} tarjetas")),
    sheets=Counted(("{n} hoja", "{n} hojas")),
    fronts="Anversos",
    backs="Reversos",
    sheet_of="hoja {sheet} de {sheets}, tarjetas {first}–{last}",
    backs_howto="imprime en el dorso de los anversos, volteando por el borde largo",
    answer="Respuesta",
    image="imagen",
    page_of="Página {page} de {pages}",
)

PORTUGUESE = Labels(  # as written in Brazil, CLDR's "pt"
    name="Brazilian Portuguese", direction="ltr", plural=_zero_one_other,
    myth_or_fact="Mito ou fato?",
    which_not_true="Qual destas afirmações NÃO é verdadeira?",
    which_not_true_short="Qual NÃO é verdadeira?",
    not_true="Não é verdadeira: {letter}",
    myth="Mito",
    fact="Fato",
    the_myth_it_answers="O mito que ela corrige: {myth}",
    myth_context="Mito: {myth}",
    technique="Técnica",
    limitation="Limitação",
    source="Fonte: {citation}",
    letters="ABCD",
    myth_number="Mito {number}",
    also_true="Outras afirmações verdadeiras",
    techniques="Técnicas",
    limitations="Limitações",
    true_or_false="Verdadeiro ou falso?",
    mark_each="Marque cada afirmação com V se for verdadeira e com F se for um mito.",
    tick="V / F",
    verdict_myth="Falso: um mito",
    verdict_true="Verdadeiro",
    circle_letter="Em cada questão, uma afirmação é um mito: circule a letra dela.",
    answer_key="Gabarito",
    to_answer="{counts} para responder. O gabarito está no final.",
    filled_in="{counts}, com as respostas preenchidas para revisão.",
    list_separator=", ",
    myths=Counted(("{n} mito", "{n} mitos")),
    sentences=Counted(("{n} frase para completar", "{n} frases para completar")),
    statements=Counted(("{n} afirmação de verdadeiro ou falso", "{n} afirmações de verdadeiro ou falso")),
    questions=Counted(("{n} questão de múltipla escolha", "{n} questões de múltipla escolha")),
    flashcards="{name}: cartões de estudo",
    flashcards_howto="{cards} em {sheets}. Imprima frente e verso, em tamanho real (100%), virando pela borda "
                     "longa: cada verso fica atrás da sua frente. Recorte pelas marcas de corte.",
    cards=Counted(("{n} cartão", "{n} cartões")),
    sheets=Counted(("{n} folha", "{n} folhas")),
    fronts="Frentes",
    backs="Versos",
    sheet_of="folha {sheet} de {sheets}, cartões {first}–{last}",
    backs_howto="imprima no verso das frentes, virando pela borda longa",
    answer="Resposta",
    image="imagem",
    page_of="Página {page} de {pages}",
)

EUROPEAN_PORTUGUESE = replace(
    PORTUGUESE, name="European Portuguese", plural=_one_other,
    myth_or_fact="Mito ou facto?",
    fact="Facto",
    answer_key="Soluções",
    to_answer="{counts} para responder. As soluções estão no fim.",
    questions=Counted(("{n} pergunta de escolha múltipla", "{n} perguntas de escolha múltipla")),
    circle_letter="Em cada pergunta, uma afirmação é um mito: assinale a letra dela com um círculo.",
    flashcards_howto="{cards} em {sheets}. Imprima frente e verso, em tamanho real (100%), virando pela margem "
                     "longa: cada verso fica atrás da respetiva frente. Recorte pelas marcas de corte.",
    backs_howto="imprima no verso das frentes, virando pela margem longa",
)

ITALIAN = Labels(
    name="Italian", direction="ltr", plural=_one_other,
    myth_or_fact="Mito o realtà?",
    which_not_true="Quale di queste affermazioni NON è vera?",
    which_not_true_short="Quale NON è vera?",
    not_true="Non è vera: {letter}",
    myth="Mito",
    fact="Realtà",
    the_myth_it_answers="Il mito che smentisce: {myth}",
    myth_context="Mito: {myth}",
    technique="Tecnica",
    limitation="Limite",
    source="Fonte: {citation}",
    letters="ABCD",
    myth_number="Mito {number}",
    also_true="Altre affermazioni vere",
    techniques="Tecniche",
    limitations="Limiti",
    true_or_false="Vero o falso?",
    mark_each="Segna ogni affermazione con V se è vera, con F se è un mito.",
    tick="V / F",
    verdict_myth="Falso: un mito",
    verdict_true="Vero",
    circle_letter="In ogni domanda un’affermazione è un mito: cerchia la sua lettera.",
    answer_key="Soluzioni",
    to_answer="{counts} a cui rispondere. Le soluzioni sono alla fine.",
    filled_in="{counts}, con le risposte inserite per il ripasso.",
    list_separator=", ",
    myths=Counted(("{n} mito", "{n} miti")),
    sentences=Counted(("{n} frase da completare", "{n} frasi da completare")),
    statements=Counted(("{n} affermazione vero o falso", "{n} affermazioni vero o falso")),
    questions=Counted(("{n} domanda a scelta multipla", "{n} domande a scelta multipla")),
    flashcards="{name}: schede di studio",
    flashcards_howto="{cards} su {sheets}. Stampa fronte-retro a grandezza reale (100%), capovolgendo sul lato "
                     "lungo: ogni retro cade dietro il suo fronte. Ritaglia lungo i segni di taglio.",
    cards=Counted(("{n} scheda", "{n} schede")),
    sheets=Counted(("{n} foglio", "{n} fogli")),
    fronts="Fronti",
    backs="Retri",
    sheet_of="foglio {sheet} di {sheets}, schede {first}–{last}",
    backs_howto="stampa sul retro dei fronti, capovolgendo sul lato lungo",
    answer="Risposta",
    image="immagine",
    page_of="Pagina {page} di {pages}",
)

DUTCH = Labels(
    name="Dutch", direction="ltr", plural=_one_other,
    myth_or_fact="Mythe of feit?",
    which_not_true="Welke van deze uitspraken is NIET waar?",
    which_not_true_short="Wat is NIET waar?",
    not_true="Niet waar: {letter}",
    myth="Mythe",
    fact="Feit",
    the_myth_it_answers="De mythe die ze weerlegt: {myth}",
    myth_context="Mythe: {myth}",
    technique="Techniek",
    limitation="Beperking",
    source="Bron: {citation}",
    letters="ABCD",
    myth_number="Mythe {number}",
    also_true="Ook waar",
    techniques="Technieken",
    limitations="Beperkingen",
    true_or_false="Waar of niet waar?",
    mark_each="Zet bij elke uitspraak een W als ze waar is en een N als het een mythe is.",
    tick="W / N",
    verdict_myth="Niet waar: een mythe",
    verdict_true="Waar",
    circle_letter="In elke vraag is één uitspraak een mythe: omcirkel de letter ervan.",
    answer_key="Antwoorden",
    to_answer="{counts} om te beantwoorden. De antwoorden staan aan het eind.",
    filled_in="{counts}, met de antwoorden ingevuld om te herhalen.",
    list_separator=", ",
    myths=Counted(("{n} mythe", "{n} mythen")),
    sentences=Counted(("{n} invulzin", "{n} invulzinnen")),
    statements=Counted(("{n} waar-of-niet-waarvraag", "{n} waar-of-niet-waarvragen")),
    questions=Counted(("{n} meerkeuzevraag", "{n} meerkeuzevragen")),
    flashcards="{name}: leerkaarten",
    flashcards_howto="{cards} op {sheets}. Druk dubbelzijdig af op ware grootte (100%), omslaan langs de lange "
                     "zijde: elke achterkant komt achter zijn voorkant. Knip langs de snijtekens.",
    cards=Counted(("{n} kaart", "{n} kaarten")),
    sheets=Counted(("{n} vel", "{n} vellen")),
    fronts="Voorkanten",
    backs="Achterkanten",
    sheet_of="vel {sheet} van {sheets}, kaarten {first}–{last}",
    backs_howto="afdrukken op de achterkant van de voorkanten, omslaan langs de lange zijde",
    answer="Antwoord",
    image="afbeelding",
    page_of="Pagina {page} van {pages}",
)

JAPANESE = Labels(
    name="Japanese", direction="ltr", plural=_no_plural,
    myth_or_fact="誤解か事実か？",
    which_not_true="次のうち、正しくないものはどれですか？",
    which_not_true_short="正しくないものはどれ？",
    not_true="正しくないもの：{letter}",
    myth="誤解",
    fact="事実",
    the_myth_it_answers="対応する誤解：{myth}",
    myth_context="誤解：{myth}",
    technique="手法",
    limitation="限界",
    source="出典：{citation}",
    letters="ABCD",
    myth_number="誤解 {number}",
    also_true="その他の正しい記述",
    techniques="手法",
    limitations="限界",
    true_or_false="正誤問題",
    mark_each="正しい記述には ○、誤解には × をつけてください。",
    tick="○ / ×",
    verdict_myth="×（誤解）",
    verdict_true="○",
    circle_letter="各問のうち一つは誤解です。その記号を丸で囲んでください。",
    answer_key="解答",
    to_answer="問題：{counts}。解答は最後にあります。",
    filled_in="{counts}。復習用に解答を記入済みです。",
    list_separator="、",
    myths=Counted(("誤解{n}件",)),
    sentences=Counted(("穴埋め文{n}件",)),
    statements=Counted(("正誤問題{n}問",)),
    questions=Counted(("選択問題{n}問",)),
    flashcards="{name}：学習カード",
    flashcards_howto="{cards}（{sheets}）。実寸（100%）で両面印刷し、長辺とじを選んでください。各カードの裏面が"
                     "表面のちょうど裏に来ます。トンボに沿って切り取ってください。",
    cards=Counted(("カード{n}枚",)),
    sheets=Counted(("用紙{n}枚",)),
    fronts="表面",
    backs="裏面",
    sheet_of="用紙 {sheet}/{sheets}、カード {first}–{last}",
    backs_howto="表面の裏に印刷（長辺とじ）",
    answer="答え",
    image="画像",
    page_of="{page} / {pages} ページ",
)

CHINESE = Labels(  # in simplified characters
    name="Simplified Chinese", direction="ltr", plural=_no_plural,
    myth_or_fact="误区还是事实？",
    which_not_true="以下哪一项说法不正确？",
    which_not_true_short="哪一项不正确？",
    not_true="不正确的是：{letter}",
    myth="误区",
    fact="事实",
    the_myth_it_answers="对应的误区：{myth}",
    myth_context="误区：{myth}",
    technique="技术",
    limitation="局限",
    source="来源：{citation}",
    letters="ABCD",
    myth_number="误区 {number}",
    also_true="其他正确说法",
    techniques="技术",
    limitations="局限",
    true_or_false="判断正误",
    mark_each="正确的说法打 √，属于误区的打 ×。",
    tick="√ / ×",
    verdict_myth="×（误区）",
    verdict_true="√",
    circle_letter="每题中有一项说法是误区：请圈出它的字母。",
    answer_key="答案",
    to_answer="题目：{counts}。答案附在最后。",
    filled_in="{counts}。已填入答案，供复习使用。",
    list_separator="、",
    myths=Counted(("误区{n}个",)),
    sentences=Counted(("填空句{n}句",)),
    statements=Counted(("判断题{n}道",)),
    questions=Counted(("选择题{n}道",)),
    flashcards="{name}：学习卡片",
    flashcards_howto="{cards}（{sheets}）。请按实际大小（100%）双面打印，沿长边翻转：每张卡片的背面正好印在"
                     "正面的背后。沿裁切标记剪开。",
    cards=Counted(("卡片{n}张",)),
    sheets=Counted(("{n}张纸",)),
    fronts="正面",
    backs="背面",
    sheet_of="第 {sheet}/{sheets} 张纸，卡片 {first}–{last}",
    backs_howto="打印在正面的背面，沿长边翻转",
    answer="答案",
    image="图片",
    page_of="第 {page} 页，共 {pages} 页",
)

CHINESE_TRADITIONAL = Labels(
    name="Traditional Chinese", direction="ltr", plural=_no_plural,
    myth_or_fact="誤區還是事實？",
    which_not_true="以下哪一項說法不正確？",
    which_not_true_short="哪一項不正確？",
    not_true="不正確的是：{letter}",
    myth="誤區",
    fact="事實",
    the_myth_it_answers="對應的誤區：{myth}",
    myth_context="誤區：{myth}",
    technique="技術",
    limitation="局限",
    source="來源：{citation}",
    letters="ABCD",
    myth_number="誤區 {number}",
    also_true="其他正確說法",
    techniques="技術",
    limitations="局限",
    true_or_false="判斷正誤",
    mark_each="正確的說法打 √，屬於誤區的打 ×。",
    tick="√ / ×",
    verdict_myth="×（誤區）",
    verdict_true="√",
    circle_letter="每題中有一項說法是誤區：請圈出它的字母。",
    answer_key="答案",
    to_answer="題目：{counts}。答案附在最後。",
    filled_in="{counts}。已填入答案，供複習使用。",
    list_separator="、",
    myths=Counted(("誤區{n}個",)),
    sentences=Counted(("填空句{n}句",)),
    statements=Counted(("判斷題{n}道",)),
    questions=Counted(("選擇題{n}道",)),
    flashcards="{name}：學習卡片",
    flashcards_howto="{cards}（{sheets}）。請按實際大小（100%）雙面列印，沿長邊翻轉：每張卡片的背面正好印在"
                     "正面的背後。沿裁切標記剪開。",
    cards=Counted(("卡片{n}張",)),
    sheets=Counted(("{n}張紙",)),
    fronts="正面",
    backs="背面",
    sheet_of="第 {sheet}/{sheets} 張紙，卡片 {first}–{last}",
    backs_howto="列印在正面的背面，沿長邊翻轉",
    answer="答案",
    image="圖片",
    page_of="第 {page} 頁，共 {pages} 頁",
)

ARABIC = Labels(
    name="Arabic", direction="rtl", plural=_arabic,
    myth_or_fact="خرافة أم حقيقة؟",
    which_not_true="أيّ هذه العبارات غير صحيحة؟",
    which_not_true_short="أيّها غير صحيح؟",
    not_true="غير صحيحة: {letter}",
    myth="خرافة",
    fact="حقيقة",
    the_myth_it_answers="الخرافة التي تصحّحها: {myth}",
    myth_context="الخرافة: {myth}",
    technique="تقنية",
    limitation="قيد",
    source="المصدر: {citation}",
    letters="أبجد",
    myth_number="الخرافة {number}",
    also_true="عبارات صحيحة أخرى",
    techniques="التقنيات",
    limitations="القيود",
    true_or_false="صح أم خطأ؟",
    mark_each="ضع (ص) أمام كل عبارة صحيحة، و(خ) أمام كل خرافة.",
    tick="ص / خ",
    verdict_myth="خطأ: خرافة",
    verdict_true="صح",
    circle_letter="في كل سؤال عبارة واحدة خرافة: ضع دائرة حول حرفها.",
    answer_key="مفتاح الإجابات",
    to_answer="{counts} للإجابة عنها. مفتاح الإجابات في النهاية.",
    filled_in="{counts}، مع الإجابات للمراجعة.",
    list_separator="، ",
    # zero, one, two, few (3-10), many (11-99), other
    myths=Counted(("{n} خرافة", "خرافة واحدة", "خرافتان", "{n} خرافات", "{n} خرافة", "{n} خرافة")),
    sentences=Counted(("{n} جملة للإكمال", "جملة واحدة للإكمال", "جملتان للإكمال", "{n} جمل للإكمال",
                       "{n} جملة للإكمال", "{n} جملة للإكمال")),
    statements=Counted(("{n} عبارة (صح أم خطأ)", "عبارة واحدة (صح أم خطأ)", "عبارتان (صح أم خطأ)",
                        "{n} عبارات (صح أم خطأ)", "{n} عبارة (صح أم خطأ)", "{n} عبارة (صح أم خطأ)")),
    questions=Counted(("{n} سؤال اختيار من متعدد", "سؤال اختيار من متعدد واحد", "سؤالا اختيار من متعدد",
                       "{n} أسئلة اختيار من متعدد", "{n} سؤال اختيار من متعدد", "{n} سؤال اختيار من متعدد")),
    flashcards="{name}: بطاقات تعليمية",
    flashcards_howto="{cards} على {sheets}. اطبع على الوجهين بالحجم الفعلي (100%) مع القلب على الحافة الطويلة: "
                     "يقع ظهر كل بطاقة خلف وجهها. قُصّ على طول علامات القص.",
    cards=Counted(("{n} بطاقة", "بطاقة واحدة", "بطاقتان", "{n} بطاقات", "{n} بطاقة", "{n} بطاقة")),
    sheets=Counted(("{n} ورقة", "ورقة واحدة", "ورقتين", "{n} ورقات", "{n} ورقة", "{n} ورقة")),  # after "على"
    fronts="الأوجه الأمامية",
    backs="الأوجه الخلفية",
    sheet_of="الورقة {sheet} من {sheets}، البطاقات {first}–{last}",
    backs_howto="اطبعها على ظهر الأوجه الأمامية، مع القلب على الحافة الطويلة",
    answer="الإجابة",
    image="صورة",
    page_of="الصفحة {page} من {pages}",
)

HEBREW = Labels(
    name="Hebrew", direction="rtl", plural=_hebrew,
    myth_or_fact="מיתוס או עובדה?",
    which_not_true="איזה מהמשפטים הבאים אינו נכון?",
    which_not_true_short="מה אינו נכון?",
    not_true="לא נכון: {letter}",
    myth="מיתוס",
    fact="עובדה",
    the_myth_it_answers="המיתוס שהיא מתקנת: {myth}",
    myth_context="מיתוס: {myth}",
    technique="טכניקה",
    limitation="מגבלה",
    source="מקור: {citation}",
    letters="אבגד",
    myth_number="מיתוס {number}",
    also_true="עוד משפטים נכונים",
    techniques="טכניקות",
    limitations="מגבלות",
    true_or_false="נכון או לא נכון?",
    mark_each="כתבו ליד כל משפט: נכון אם הוא נכון, לא נכון אם הוא מיתוס.",
    tick="נכון / לא נכון",
    verdict_myth="לא נכון: מיתוס",
    verdict_true="נכון",
    circle_letter="בכל שאלה אחד המשפטים הוא מיתוס: הקיפו את האות שלו.",
    answer_key="מפתח תשובות",
    to_answer="לפתרון: {counts}. מפתח התשובות נמצא בסוף.",
    filled_in="{counts}, עם התשובות ממולאות לחזרה.",
    list_separator=", ",
    # one, two, other
    myths=Counted(("מיתוס אחד", "שני מיתוסים", "{n} מיתוסים")),
    sentences=Counted(("משפט השלמה אחד", "שני משפטי השלמה", "{n} משפטי השלמה")),
    statements=Counted(("משפט נכון/לא נכון אחד", "שני משפטי נכון/לא נכון", "{n} משפטי נכון/לא נכון")),
    questions=Counted(("שאלה אמריקאית אחת", "שתי שאלות אמריקאיות", "{n} שאלות אמריקאיות")),
    flashcards="{name}: כרטיסיות",
    flashcards_howto="{cards} על {sheets}. הדפיסו דו־צדדית בגודל אמיתי (100%), בהיפוך לאורך הצד הארוך: כל גב "
                     "נופל מאחורי החזית שלו. גזרו לאורך סימני החיתוך.",
    cards=Counted(("כרטיס אחד", "שני כרטיסים", "{n} כרטיסים")),
    sheets=Counted(("דף אחד", "שני דפים", "{n} דפים")),
    fronts="חזיתות",
    backs="גבים",
    sheet_of="דף {sheet} מתוך {sheets}, כרטיסים {first}–{last}",
    backs_howto="הדפיסו על גב החזיתות, בהיפוך לאורך הצד הארוך",
    answer="תשובה",
    image="תמונה",
    page_of="עמוד {page} מתוך {pages}",
)

# Every language a deck may be written in, by the tag that ``resolve`` gives (and cards and sheets carry).
LANGUAGES: dict[str, Labels] = {
    "en": ENGLISH, "de": GERMAN, "fr": FRENCH, "es": SPANISH, "pt": PORTUGUESE, "pt-PT": EUROPEAN_PORTUGUESE,
    "it": ITALIAN, "nl": DUTCH, "ja": JAPANESE, "zh-Hans": CHINESE, "zh-Hant": CHINESE_TRADITIONAL,
    "ar": ARABIC, "he": HEBREW,
}
_TRADITIONAL_REGIONS = frozenset(("TW", "HK", "MO"))
_ALIASES = {"iw": "he"}  # deprecated ISO 639 code still found in tags


def is_tag(text: str) -> bool:
    """Whether ``text`` is a well-formed BCP 47 language tag."""
    return TAG_PATTERN.match(text) is not None


def resolve(tag: str) -> str | None:
    """The key of ``LANGUAGES`` a well-formed tag asks for, or None when ankigen has no labels in its language.

    Subtags are matched case-insensitively. Chinese goes by script (``Hant``,
    ``Hans``), else by region (Taiwan, Hong Kong, Macao: traditional); Portuguese
    by region (Brazil or none: ``pt``; any other: ``pt-PT``); every other
    language by its primary subtag alone.
    """
    subtags = tag.split("-")
    language = _ALIASES.get(subtags[0].lower(), subtags[0].lower())
    rest = []  # extlang, script and region: the subtags before any variant, extension or private use
    for part in subtags[1:4]:
        if len(part) == 1 or len(part) > 4 or (part[:1].isdigit() and len(part) == 4):
            break
        rest.append(part)
    script = next((part.title() for part in rest if len(part) == 4 and part.isalpha()), "")
    region = next((part.upper() for part in rest if len(part) == 2 and part.isalpha()), "")
    if language == "zh":
        if script in ("Hans", "Hant"):
            return f"zh-{script}"
        return "zh-Hant" if region in _TRADITIONAL_REGIONS else "zh-Hans"
    if language == "pt":
        return "pt" if region in ("", "BR") else "pt-PT"
    return language if language in LANGUAGES else None


def labels(lang: str) -> Labels:
    """The labels of a key of ``LANGUAGES``."""
    return LANGUAGES[lang]


def supported() -> str:
    """The supported languages' tags, for a message: "ar, de, en, ... and zh-Hant"."""
    keys = sorted(LANGUAGES)
    return f"{', '.join(keys[:-1])} and {keys[-1]}"

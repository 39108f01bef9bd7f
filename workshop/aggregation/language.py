"""Is a sticky written in English? A guess from function words and letters, for the grouping only.

The English sentence model (all-MiniLM-L6-v2) places a German, Spanish or French sticky by its
tokens, not its meaning, so the grouping reads such a sticky through the multilingual model instead
(``themes.vectorise``). The guess needs to be right about *whether* a text is English, not which
language it is in: it counts the little words every sentence of a language uses (articles,
prepositions, pronouns, negations: no domain words) and the letters only some languages use. A
two-word note with no such word is taken for English, which costs little: the multilingual model
places it as well. On the four labelled fixtures it finds 122 of 125 non-English stickies and takes
no English sticky for another language (tests/test_language.py).
"""
from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-zäöüßáéíóúñàâçèêëîïôûùœ']+")

ENGLISH = frozenset("""
the a an and or of to in on for with is are was were be been being it its this that these those we our
us they their them he she you your no not can't cannot don't doesn't isn't aren't won't didn't nobody
every too from by at as into than then so but have has had get gets got takes take until after before
which who what when where why how there here all any some more most very just only still again
""".split())

OTHERS = {
    "de": frozenset("""
der die das den dem des und oder ist sind war wird werden wurde wir unser unsere nicht kein keine keinen
mit für auf im am zum zur vom bei nach weil dass wie wer immer noch nur schon erst jede jeder jedes jeden
jedem alle muss müssen kann können gibt ein eine einen einem einer zu von durch durchs über unter ohne
seit bis man sich es ich ihr sie wir wenn aber auch mehr sehr viel viele dauert steht alten alte
""".split()),
    "es": frozenset("""
el la los las un una unos unas y o de del al en con para por que es son está están no hay nuestro
nuestra nuestros nadie cada siempre se lo le les nos sin hasta cuando porque pero muy más también ya
otra otro todos todas ni tras desde entre sobre
""".split()),
    "fr": frozenset("""
le la les un une des et ou de du au aux en dans avec pour par que qui est sont pas ne nous notre nos
personne chaque toujours se il elle on sans jusqu'à quand parce ce cette ces sur mais très plus aussi
déjà encore tous toutes entre après avant chez leur leurs
""".split()),
}

_LETTERS = {"de": re.compile(r"[äöüß]"), "es": re.compile(r"[ñ¿¡áíóú]"), "fr": re.compile(r"[çèêàùœ]|\b[ldjqn]'")}


@lru_cache(maxsize=1 << 16)  # the grouping asks for each distinct text twice (bridge, titles), on every run
def looks_english(text: str) -> bool:
    """True unless German, Spanish or French function words (or letters) outweigh English ones."""
    lower = str(text).lower()
    words = _WORD.findall(lower)
    english = sum(w in ENGLISH for w in words)
    best = 0.0
    for language, vocabulary in OTHERS.items():
        score = sum(w in vocabulary for w in words) + (2.0 if _LETTERS[language].search(lower) else 0.0)
        best = max(best, score)
    return best <= english

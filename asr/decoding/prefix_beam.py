"""CTC prefix beam search over characters with a word n-gram LM applied word by word (shallow fusion).

score(prefix) = log P_ctc(prefix | audio) + alpha * ln P_lm(its words) + beta * words + non-word penalty

P_ctc of a prefix is the sum over all CTC paths that collapse to it, kept in two parts: the paths ending
in a blank and those ending in its last character (a repeat of that character merges into it after the
latter, and starts a new one after the former). Prefixes form a trie, so two beams that reach the same
prefix meet in the same node and are merged. The LM scores a word once, when the space after it (or the
end of the utterance) completes it. A space before the first word or after a space separates nothing: it
leaves the prefix as it is.

A word outside the LM's vocabulary gets <unk>'s score times the probability of its spelling under a
uniform letter model (LmScoring.unknown_cost): <unk> stands for every unseen word together (10 % of the
unigram mass in the default recipe's LM), not for this spelling of one; without that factor, runs of
misheard letters win as "unknown words". A partial word that begins no vocabulary word is charged its spelling
already, so beams spelling non-words leave the beam early (pyctcdecode charges a flat offset instead).

Hot-words (asr.decoding.hotwords) add their weight to a prefix's completed-words score when they complete,
and only to its pruning score while being spelled; their spelling is not charged as an unknown word's.
"""

import math
from operator import itemgetter

import numpy as np

from asr.data.tokenizer import BLANK, SPACE

LN10 = math.log(10.0)  # KenLM scores are log10; the CTC side is natural log
NEG_INF = float("-inf")
MIN_TOKEN_LOGP = -5.0  # per frame, only tokens at least this likely (and the best one) extend beams
PRUNE_LOGP = -10.0  # beams this far below the best one are dropped


def logadd(a, b):
    """log(exp(a) + exp(b)) of two floats, faster than numpy on scalars."""
    if a < b:
        a, b = b, a
    if b == NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


class Prefix:
    """A node of the prefix trie: its text, last token, and the LM's share of its score under the search's
    weights (`words_score` for the completed words and hot phrases, `lm_score` adding the partial word's
    penalty and the share of a hot phrase being spelled, `hot` that phrase's spelled part: see
    asr.decoding.hotwords)."""

    __slots__ = ("text", "last", "word", "state", "words_score", "lm_score", "hot", "children")

    def __init__(self, text, last, word, state, words_score, lm_score, hot=None):
        self.text, self.last, self.word, self.state = text, last, word, state
        self.words_score, self.lm_score, self.hot = words_score, lm_score, hot
        self.children = {}


class LmScoring:
    """The LM side of one search: grows the prefix trie, scoring words as they complete.

    lm: an object with `start()` (the sentence-start state), `score(state, word)` -> (log10 prob, next
    state; "</s>" ends the sentence), `words` (its vocabulary) and `prefixes` (every prefix of its words).
    hotwords: an asr.decoding.hotwords.HotWords, or None.
    """

    def __init__(self, lm, alpha, beta, symbols, hotwords=None):
        self.lm, self.alpha, self.beta, self.symbols = lm, alpha, beta, symbols
        self.hot = hotwords or None  # an empty list is no list: the search then takes no hot-word step
        self.root = Prefix("", None, "", lm.start(), 0.0, 0.0, "" if self.hot else None)
        # the most a child's LM share can exceed its parent's words_score: a completed word's (its LM log
        # prob <= 0, so beta), a completed hot phrase and the share of a longer one it begins
        self.hot_gain = self.hot.max_weight if self.hot else 0.0
        self.word_gain = max(beta, 0.0) + 2 * self.hot_gain
        # a uniform spelling model of unknown words: each letter, and the space ending it, one of len(symbols)-1
        self.letter_cost = -alpha * math.log(len(symbols) - 1)

    def unknown_cost(self, word):
        """alpha * ln P(this spelling | an unknown word)."""
        return self.letter_cost * (len(word) + 1)

    def partial_penalty(self, word):
        """What a partial word is charged: nothing while it begins a known or hot word, else its spelling."""
        known = word in self.lm.prefixes or (self.hot is not None and word in self.hot.word_prefixes)
        return 0.0 if known else self.unknown_cost(word)

    def ceiling(self, node, token):
        """An upper bound of the LM share of child(node, token), found without building the child."""
        if token == SPACE:
            return node.words_score + self.word_gain
        return node.words_score + self.partial_penalty(node.word + self.symbols[token]) + self.hot_gain

    def child(self, node, token):
        child = node.children.get(token)
        if child is None:
            child = node.children[token] = self._extend(node, token)
        return child

    def _extend(self, node, token):
        if token == SPACE:
            if not node.word:
                return node
            words_score, state = self._with_word(node)
            hot = self.hot.advance(node.hot, node.text, " ") if self.hot else None
            return Prefix(node.text + " ", SPACE, "", state, words_score, words_score + self._share(hot), hot)
        char = self.symbols[token]
        word = node.word + char
        hot = self.hot.advance(node.hot, node.text, char) if self.hot else None
        return Prefix(node.text + char, token, word, node.state, node.words_score,
                      node.words_score + self.partial_penalty(word) + self._share(hot), hot)

    def _share(self, hot):
        return self.hot.prefix_bonus(hot) if self.hot else 0.0

    def _with_word(self, node):
        """(words_score, LM state) once the node's partial word is complete."""
        if not node.word:
            return node.words_score, node.state
        log10, state = self.lm.score(node.state, node.word)
        score = node.words_score + self.alpha * LN10 * log10 + self.beta
        if self.hot:
            score += self.hot.completed(node.hot)
            known = node.word in self.lm.words or node.word in self.hot.words
        else:
            known = node.word in self.lm.words
        return score + (0.0 if known else self.unknown_cost(node.word)), state

    def final_score(self, node):
        """The LM's share of the score of the node's text as a whole sentence (last word and </s> scored)."""
        words_score, state = self._with_word(node)
        return words_score + self.alpha * LN10 * self.lm.score(state, "</s>")[0]


def frame_candidates(logprobs, min_token_logp=MIN_TOKEN_LOGP):
    """Per frame, [(token, log prob), ...] of the tokens worth extending beams with, most likely first; a
    run of frames where only the blank qualifies becomes one float, the run's summed blank log prob (the
    beams then only wait: that is most frames of a trained model, and they cost next to nothing)."""
    mask = logprobs >= min_token_logp
    mask[np.arange(len(logprobs)), logprobs.argmax(axis=-1)] = True
    blank_only = mask[:, BLANK] & (mask.sum(axis=-1) == 1)
    rows, steps = logprobs.tolist(), []
    for t, row in enumerate(rows):
        if not blank_only[t]:
            steps.append(sorted(((int(k), row[k]) for k in np.flatnonzero(mask[t])), key=itemgetter(1),
                                reverse=True))
        elif steps and isinstance(steps[-1], float):
            steps[-1] += row[BLANK]
        else:
            steps.append(row[BLANK])
    return steps


def extend_beams(beams, candidates, scoring, prune_logp=PRUNE_LOGP):
    """One frame of the prefix-beam recursions: {node: (log P blank-ending, log P char-ending)} -> same.

    A prefix not yet in the trie gets one path sum this frame (from its parent), so when that one cannot
    come within prune_logp of the best score reached so far, the prefix would be pruned: it is not built.
    (A space that separates nothing maps a node onto itself, whose mass the shortcut can then leave out:
    at most e^prune_logp of that beam, so the search is exact to that tolerance, not to the last digit.)
    Beams come best first and candidates most likely first, so that best is soon near the frame's best.
    """
    extended, best = {}, NEG_INF

    def add(node, ends_in_char, logp):
        entry = extended.get(node)
        if entry is None:
            entry = extended[node] = [NEG_INF, NEG_INF]
        entry[ends_in_char] = logadd(entry[ends_in_char], logp)
        return logp + node.lm_score

    for node, (p_blank, p_char) in beams.items():
        total = logadd(p_blank, p_char)
        reach = node.words_score + scoring.word_gain - prune_logp  # no new child's LM share is above it
        for token, logp in candidates:
            if token == BLANK:
                best = max(best, add(node, 0, total + logp))
                continue
            if token == node.last:  # a repeat, unless a blank came between
                best = max(best, add(node, 1, p_char + logp))
                if p_blank == NEG_INF:
                    continue
                moves = p_blank + logp
            else:
                moves = total + logp
            child = node.children.get(token)
            if child is None:
                if moves + reach < best or moves + scoring.ceiling(node, token) - prune_logp < best:
                    continue
                child = scoring.child(node, token)
            best = max(best, add(child, 1, moves))
    return extended


def prune(beams, beam_width, prune_logp=PRUNE_LOGP):
    """The beam_width best beams by CTC + LM score, best first, none more than -prune_logp below the best."""
    scored = sorted(((logadd(p_blank, p_char) + node.lm_score, node) for node, (p_blank, p_char) in beams.items()),
                    key=itemgetter(0), reverse=True)
    floor = scored[0][0] + prune_logp
    return {node: beams[node] for score, node in scored[:beam_width] if score >= floor}


def search(logprobs, scoring, beam_width, min_token_logp=MIN_TOKEN_LOGP, prune_logp=PRUNE_LOGP):
    """{text: CTC + LM score as a whole sentence} of the beams left after the last frame of (T, V)
    log-probabilities, LM-scored by `scoring` (an LmScoring)."""
    beams = {scoring.root: (0.0, NEG_INF)}
    for step in frame_candidates(np.asarray(logprobs), min_token_logp):
        if isinstance(step, float):  # blank-only frames: every path now ends in a blank
            beams = {node: (logadd(p_blank, p_char) + step, NEG_INF) for node, (p_blank, p_char) in beams.items()}
        else:
            beams = prune(extend_beams(beams, step, scoring, prune_logp), beam_width, prune_logp)
    # "a" and "a " are the same sentence: their paths are summed before the sentence's LM score is added
    sentences = {}
    for node, (p_blank, p_char) in beams.items():
        text = node.text.rstrip(" ")
        ctc, _ = sentences.get(text, (NEG_INF, node))
        sentences[text] = (logadd(ctc, logadd(p_blank, p_char)), node)
    return {text: ctc + scoring.final_score(node) for text, (ctc, node) in sentences.items()}


def prefix_beam_search(logprobs, scoring, beam_width, min_token_logp=MIN_TOKEN_LOGP, prune_logp=PRUNE_LOGP):
    """The best text for (T, V) log-probabilities, LM-scored by `scoring` (an LmScoring)."""
    scores = search(logprobs, scoring, beam_width, min_token_logp, prune_logp)
    return max(scores, key=scores.get)


def prefix_beam_nbest(logprobs, scoring, beam_width, n, min_token_logp=MIN_TOKEN_LOGP, prune_logp=PRUNE_LOGP):
    """The n best [(text, score), ...] of the search, best first (ties in prefix_beam_search's order): distinct
    texts, at most as many as the beams left at the end."""
    scores = search(logprobs, scoring, beam_width, min_token_logp, prune_logp)
    return sorted(scores.items(), key=itemgetter(1), reverse=True)[:n]

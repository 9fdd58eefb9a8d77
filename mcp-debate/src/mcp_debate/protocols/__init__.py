"""Debate protocols: who speaks when beyond the round-robin, and how a debate reaches its verdict.

``rounds`` is the plain debate (a judge, when present, gives a verdict after the last round);
``vote`` has debaters answer alone first, then revise with the others' answers, and counts their
final answers; ``judged`` has a moderator decide after each round whether to go on, and a judge give
the verdict. Everything here is pure: answers read out of turns (:mod:`.answers`), what each
participant is shown (:mod:`.visibility`), the words of each role (:mod:`.prompts`), judges' and
moderators' JSON (:mod:`.structured`), the vote and the verdict (:mod:`.verdicts`), what a committed
step changes (:mod:`.progress`), and budgets (:mod:`.budget`). The orchestration does the I/O.
"""

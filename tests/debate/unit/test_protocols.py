"""The pure parts of the protocols: answers read from replies, the schedule, the vote, judges' JSON."""

from __future__ import annotations

import pytest

from mcp_debate.domain import schedule
from mcp_debate.domain.models import Debate
from mcp_debate.domain.verdict import AnswerFormat, Ballot
from mcp_debate.protocols import progress
from mcp_debate.protocols.answers import extract, normalize
from mcp_debate.protocols.structured import Unreadable, parse_judge, parse_moderator
from mcp_debate.protocols.verdicts import by_vote, tally
from tests.debate.unit.factories import debate as make_debate


def voting(*answers: str | None, protocol: str = "vote", **extra: object) -> Debate:
    """Pro, Con and a third debater (named Judge by the factory), with these latest answers."""
    d = make_debate(rounds=2).model_copy(update={"protocol": protocol, **extra})
    ballots = [
        Ballot(participant=p.name, answer=a, round=1)
        for p, a in zip(d.participants, answers, strict=False)
        if a is not None
    ]
    return d.model_copy(update={"ballots": ballots})


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("Reasons.\nFinal answer: 7", "7"),
        ("Reasons.\n**Final Answer:** 7.", "7"),
        ("final answer - Paris", "Paris"),
        ("Final answer: 7\nOn reflection...\nFinal answer: 9", "9"),
        ("It is \\boxed{42} clearly", "42"),
        ('The answer to the question "What is 3+4*5-2" is 10.', "10"),
        ("So 2+3 = 5", "5"),
        ("Final answer: 2+3 = 5", "5"),
        ("Answer: B", "B"),
        ('Ending with a last line of the form "Final answer: <your answer>".', None),
        ("Answer the question on your own: Is remote work here to stay", None),
        ("The Earth is round.", None),
        ("", None),
    ],
)
def test_final_answers_are_read_from_what_models_write(reply: str, answer: str | None) -> None:
    assert extract(reply) == answer


def test_choices_and_patterns() -> None:
    choices = AnswerFormat(choices=["yes", "no"])
    assert extract("Final answer: NO", choices) == "no"
    assert extract("Final answer: maybe", choices) is None
    assert extract("I lean yes... but really no.", choices) == "no"  # the choice named last
    assert extract("Final answer: B) no, clearly", AnswerFormat(choices=["yes", "no"])) == "no"
    pattern = AnswerFormat(pattern=r"ANSWER=(\w+)")
    assert extract("answer=x then answer=y\nFinal answer: z", pattern) == "y"
    assert extract("no match, Final answer: z", pattern) == "z"
    assert extract("a" * 50_000 + "!", AnswerFormat(pattern=r"(a+)+$")) is None  # bounded, never hangs


@pytest.mark.parametrize(
    ("a", "b"), [("7", "7.0"), ("1,000", "1000"), ("$7", "7"), (" Paris ", "paris"), ("0.50", ".5")]
)
def test_answers_compare_by_value(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_schedule_of_each_protocol() -> None:
    roles: list[schedule.Role] = ["debater", "debater", "moderator", "judge"]
    steps = schedule.sequence(roles, 3)
    assert [(s.kind, s.position, s.round) for s in steps] == [
        ("turn", 0, 1),
        ("turn", 1, 1),
        ("moderation", 2, 1),
        ("turn", 0, 2),
        ("turn", 1, 2),
        ("moderation", 2, 2),
        ("turn", 0, 3),
        ("turn", 1, 3),
    ]
    assert schedule.planned_steps("judged", roles, 3) == 9
    assert schedule.planned_steps("vote", roles, 3) == 8  # in vote the judge only breaks ties
    assert schedule.most_steps(roles, 3) == 9
    assert schedule.next_step(roles, 3, 2, "closing") == schedule.Step("verdict", 3, 1)
    assert schedule.ends_round(roles, 3, 2) and not schedule.ends_round(roles, 3, 1)
    assert not schedule.ends_round(roles, 3, 3)  # the moderator's step


def test_vote_majority_tie_and_nothing() -> None:
    majority = by_vote(voting("7", "7.0", "9"), [])
    assert (majority.answer, majority.method, majority.votes) == ("7", "majority", {"7": 2, "9": 1})
    assert [d.participant for d in majority.dissent] == ["Judge"]
    tie = by_vote(voting("7", "9", None), [])
    assert tie.method == "tie" and tie.answer is None and tie.tied == ["7", "9"]
    nothing = by_vote(voting(None, None, None), [])
    assert nothing.method == "none" and nothing.rationale
    unanimous = by_vote(voting("x", "X", "x"), [])
    assert unanimous.method == "unanimous" and unanimous.confidence == 1.0
    abstained = by_vote(voting("7", "7", None), [])
    assert abstained.method == "majority" and "1 gave no readable answer" in abstained.rationale
    assert [d.answer for d in abstained.dissent] == [None]


def test_consensus_needs_every_debater_in_the_same_round() -> None:
    agreed = voting("7", "7", "7")
    assert progress.agree(agreed, 1)
    late = agreed.model_copy(
        update={"ballots": [*agreed.ballots[:2], Ballot(participant="Judge", answer="7", round=2)]}
    )
    assert not progress.agree(late, 1)
    assert not progress.agree(voting("7", "7", None), 1)


JUDGE = (
    '{"answer": "7", "winner": "pro", "confidence": 80, "rationale": "Sound.", '
    '"assessments": {"PRO": "good"}}'
)


def test_a_judges_json_is_found_validated_and_checked_against_the_debate() -> None:
    d = voting("7", "9", "9", protocol="judged")
    reply = parse_judge(f"Here you go:\n```json\n{JUDGE}\n```", d, [])
    assert (reply.answer, reply.winner, reply.confidence) == ("7", "Pro", 0.8)
    assert reply.assessments == {"Pro": "good"}
    with pytest.raises(Unreadable, match="no JSON object"):
        parse_judge("I think 7.", d, [])
    with pytest.raises(Unreadable, match="confidence"):
        parse_judge('{"answer": "7", "rationale": "x"}', d, [])
    with pytest.raises(Unreadable, match="winner must be one of Pro, Con, Judge"):
        parse_judge(JUDGE.replace('"pro"', '"Zed"'), d, [])
    with pytest.raises(Unreadable, match="tied answers"):
        parse_judge(JUDGE.replace('"7"', '"8"'), d, ["7", "9"])
    chosen = d.model_copy(update={"answer_format": AnswerFormat(choices=["yes", "no"])})
    with pytest.raises(Unreadable, match="one of yes, no"):
        parse_judge(JUDGE, chosen, [])


def test_a_moderators_decision() -> None:
    assert parse_moderator('{"decision": "Stop", "reason": "they agree"}').decision == "stop"
    with pytest.raises(Unreadable, match="decision"):
        parse_moderator('{"decision": "pause", "reason": "x"}')


def test_tally_keeps_each_debaters_latest_answer_in_speaking_order() -> None:
    d = voting("7", "9", "9")
    count = tally(d)
    assert [b.participant for b in count.ballots] == ["Pro", "Con", "Judge"]
    assert count.counts == [("9", 2), ("7", 1)] and count.leaders == ["9"] and not count.tied

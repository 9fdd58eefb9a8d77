"""The words of the protocols: how debaters are asked for a final answer, what judges and moderators see.

Judges and moderators are shown the debaters' latest answers as a fixed block, one ``- NAME: ANSWER``
line each under a ``Final answers`` line, and asked for JSON by example (small models follow an
example better than a schema). The mock provider's ``mock-judge`` reads that same block.
"""

from __future__ import annotations

from mcp_debate.context import prompts
from mcp_debate.domain.models import Debate, Message, Participant
from mcp_debate.protocols.verdicts import tally

NO_ANSWER = "(no readable answer)"

JUDGE_EXAMPLE = (
    '{"answer": "<the answer>", "winner": "<name of the debater who argued best, or null>", '
    '"confidence": <a number from 0 to 1>, "rationale": "<why, in two or three sentences>", '
    '"assessments": {<each debater\'s name>: "<one sentence on how it argued>"}}'
)
MODERATOR_EXAMPLE = '{"decision": "continue" or "stop", "reason": "<one sentence>"}'


def adapt(debate: Debate, me: Participant, system: str, instruction: str) -> tuple[str, str]:
    """The system prompt and instruction of ``me``'s next step, given the plain debate's ones."""
    if me.role == "judge":
        return judge_system(debate, me), judge_instruction(debate)
    if me.role == "moderator":
        return moderator_system(debate, me), moderator_instruction(debate)
    if not debate.asks_for_answers:
        return system, instruction
    if debate.protocol == "vote":
        return panel_system(debate, me), vote_instruction(debate, me)
    return system, f"{instruction} {answer_request(debate)}"


def answer_request(debate: Debate) -> str:
    fmt = debate.answer_format
    if fmt and fmt.pattern and not fmt.choices:
        return "End your reply with your final answer, stated as the rules say."
    slot = f"<one of: {', '.join(fmt.choices)}>" if fmt and fmt.choices else "<your answer>"
    return f'End your reply with a last line of the form "Final answer: {slot}".'


def panel_system(debate: Debate, me: Participant) -> str:
    """A vote is a panel answering a question, not a debate of stances: small models answer the question
    when it is framed so, and argue about "the debate" when it is not."""
    lines = [
        f"You are {me.name}, one of {len(debate.debaters)} panelists answering a question. Each panelist "
        "answers; the answer most panelists give is the panel's answer.",
        "",
        f"Question: {debate.topic}",
    ]
    if me.stance:
        lines.append(f"Your stance: {me.stance}")
    if debate.rules:
        lines += ["Rules:", *(f"- {rule}" for rule in debate.rules)]
    lines += [
        "",
        'Other panelists\' messages reach you as "Name: text". Write only your own answer, without a name '
        "prefix.",
        prompts.INSTRUCTION_NOTE,
    ]
    if me.system_prompt:
        lines += ["", me.system_prompt]
    return "\n".join(lines)


def vote_instruction(debate: Debate, me: Participant) -> str:
    """Du et al.: answer alone first; later, answer again with the others' answers as advice.

    The question is repeated, and the panelist's name is left out: a small model told "You are Ben."
    at the end of the prompt starts writing a letter to Ben (seen with SmolLM2-135M).
    """
    round_no = debate.current_round
    head = f"Round {round_no} of {debate.max_rounds}."
    if round_no == 1 and debate.visibility != "all":
        task = f"Answer the question on your own: {debate.topic}\nThink it through in a few short sentences."
    elif round_no == 1:
        task = f"Answer the question: {debate.topic}\nThink it through in a few short sentences."
    else:
        seen = "final answers" if debate.visibility == "answers_only" else "answers and reasoning"
        task = (
            f"Above are the other panelists' latest {seen}. Using them as additional advice, answer the "
            f"question again: {debate.topic}\nReason briefly."
        )
    return f"{head} {task} {answer_request(debate)}"


def _debaters(debate: Debate) -> str:
    return ", ".join(f"{p.name} ({prompts.stance_phrase(p.stance)})" for p in debate.debaters)


def _role_system(debate: Debate, me: Participant, role_line: str) -> str:
    lines = [role_line, "", f"Topic: {debate.topic}", f"Debaters: {_debaters(debate)}."]
    if debate.rules:
        lines += ["Rules of the debate:", *(f"- {rule}" for rule in debate.rules)]
    lines += ["", 'The debaters\' messages reach you as "Name: text".', prompts.INSTRUCTION_NOTE]
    if me.system_prompt:
        lines += ["", me.system_prompt]
    return "\n".join(lines)


def judge_system(debate: Debate, me: Participant) -> str:
    return _role_system(
        debate,
        me,
        f"You are {me.name}, the judge of a debate. You do not argue: you read the debate and decide.",
    )


def moderator_system(debate: Debate, me: Participant) -> str:
    return _role_system(
        debate,
        me,
        f"You are {me.name}, the moderator of a debate. After each round you decide whether it goes on.",
    )


def answers_block(debate: Debate) -> str:
    lines = ["Final answers (each debater's latest):"]
    lines += [f"- {b.participant}: {b.answer or NO_ANSWER}" for b in tally(debate).ballots]
    return "\n".join(lines)


def judge_instruction(debate: Debate) -> str:
    parts = ["The debate is over. Decide which answer is right and which debater argued best."]
    if debate.asks_for_answers:
        parts.append(answers_block(debate))
    count = tally(debate)
    if debate.protocol == "vote" and count.tied:
        parts.append(f"The vote is tied between {', '.join(count.leaders)}: your answer must be one of them.")
    fmt = debate.answer_format
    if fmt and fmt.choices:
        parts.append(f"Your answer must be one of: {', '.join(fmt.choices)}.")
    parts.append(f"Reply with one JSON object and nothing else, in this form:\n{JUDGE_EXAMPLE}")
    return "\n\n".join(parts)


def moderator_instruction(debate: Debate) -> str:
    parts = [
        f"Round {debate.current_round} of {debate.max_rounds} is over. Decide whether the debate goes on: "
        "stop it when the debaters agree or when another round would add nothing new; otherwise let it "
        "continue."
    ]
    if debate.asks_for_answers:
        parts.append(answers_block(debate))
    parts.append(f"Reply with one JSON object and nothing else, in this form:\n{MODERATOR_EXAMPLE}")
    return "\n\n".join(parts)


def reask(problem: str) -> str:
    """The second chance a judge or moderator gets, with what was wrong."""
    return (
        f"Your reply could not be read: {problem}. Reply again with only the JSON object, in the form "
        "asked for above, and nothing else."
    )


def readable(message: Message) -> str:
    """A moderator's decision or a judge's verdict as the others see it (the reply itself when unread)."""
    data = message.structured
    if not data:
        return message.content
    if "decision" in data:
        return f"Decision: {data['decision']}. {_sentence(str(data.get('reason', '')))}".strip()
    if data.get("answer") is not None:
        return f"Verdict: {data['answer']}. {_sentence(str(data.get('rationale', '')))}".strip()
    return message.content


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else ""

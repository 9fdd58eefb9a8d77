"""ContextManager: roles, speaker prefixes, identity every turn, the budget, and where the summary goes."""

from __future__ import annotations

import pytest

from mcp_debate.context import prompts
from mcp_debate.context.manager import ContextManager, NeedsSummary, Ready
from mcp_debate.context.tokens import estimate_messages, estimate_text
from mcp_debate.domain.models import Debate, Message, Participant
from mcp_shared.errors import ContextLengthExceededError
from tests.debate.unit.factories import NOW, debate, history
from tests.debate.unit.factories import summary as summary_of


def test_own_turns_are_assistant_others_are_user_with_the_speakers_name() -> None:
    d = debate(turns_taken=4)
    con = d.participants[1]
    moderator = Message(
        id=5,
        debate_id=d.id,
        seq=5,
        kind="external",
        round=None,
        turn=None,
        participant=None,
        speaker="Moderator",
        content="Time is short.",
        created_at=NOW,
    )
    msgs = [*history(d, 4), moderator]
    plan = ContextManager().plan(d, con, msgs, None)
    assert isinstance(plan, Ready)
    sent = plan.messages
    assert sent[0].role == "system"
    body = sent[1:]
    # Pro 1; own turn 2 verbatim; then Judge 3, Pro 4, Moderator and the instruction as one user message.
    assert [m.role for m in body] == ["user", "assistant", "user"]
    assert body[0].content == "Pro: " + msgs[0].content
    assert body[1].content == msgs[1].content  # own words, no prefix
    assert body[2].content.startswith("Judge: point 3")
    assert "\n\nPro: point 4" in body[2].content
    assert "\n\nModerator: Time is short." in body[2].content
    assert plan.verbatim == msgs


def test_identity_and_stance_are_in_the_system_prompt_and_repeated_every_turn() -> None:
    manager = ContextManager()
    for turns_taken in (1, 4, 7):
        d = debate(turns_taken=turns_taken)
        con = d.participants[1]
        plan = manager.plan(d, con, history(d, turns_taken), None)
        assert isinstance(plan, Ready)
        system, instruction = plan.messages[0].content, plan.messages[-1].content
        assert "You are Con" in system and "Your stance: against a ban" in system
        assert "Should cities ban cars?" in system and "- Be concise." in system
        assert plan.messages[-1].role == "user"
        assert f"Round {d.current_round} of 10. You are Con; your stance: against a ban." in instruction


def test_a_participant_without_stance_is_told_to_argue_its_strongest_position() -> None:
    d = debate(turns_taken=2)
    plan = ContextManager().plan(d, d.participants[2], history(d, 2), None)
    assert isinstance(plan, Ready)
    assert "argue the position you find strongest" in plan.messages[-1].content


def test_the_first_speaker_opens_and_a_conversation_never_starts_with_its_own_words() -> None:
    d = debate(turns_taken=3)
    pro = d.participants[0]
    plan = ContextManager().plan(d, pro, history(d, 3), None)
    assert isinstance(plan, Ready)
    assert [m.role for m in plan.messages] == ["system", "user", "assistant", "user"]
    assert plan.messages[1].content == prompts.opening_line(d)


def long_debate() -> tuple[Debate, Participant, list[Message], ContextManager, NeedsSummary]:
    """Sixty turns in a 2000-token budget: the first plan asks for a summary."""
    d = debate(turns_taken=60, max_tokens=2000)
    pro = d.participants[0]
    msgs = history(d, 60)
    manager = ContextManager()
    plan = manager.plan(d, pro, msgs, None)
    assert isinstance(plan, NeedsSummary)
    return d, pro, msgs, manager, plan


def test_a_long_history_asks_for_a_summary_deeper_than_strictly_needed() -> None:
    d, pro, msgs, manager, plan = long_debate()
    budget = manager.budget(pro)
    assert plan.max_tokens == manager.summary_tokens(budget)
    kept = [m for m in msgs if m.seq > plan.cover_to_seq]
    assert kept, "recent messages stay verbatim"
    # the cut leaves headroom: the kept messages use at most keep_ratio of what remains after the summary
    system, instruction = manager.fixed_parts(d, pro)
    fixed = estimate_text(system) + estimate_text(instruction) + 11
    kept_cost = sum(estimate_text(prompts.as_chat(m, pro).content) + 4 for m in kept)
    assert kept_cost <= (budget.input - fixed - plan.max_tokens) * manager.keep_ratio


def test_the_summary_goes_right_after_the_system_prompt_and_replaces_what_it_covers() -> None:
    d, pro, msgs, manager, first = long_debate()
    summary = summary_of(d, first.cover_to_seq, narrative="It went back and forth.")
    rest = [m for m in msgs if m.seq > first.cover_to_seq]
    plan = manager.plan(d, pro, rest, summary)
    assert isinstance(plan, Ready)
    assert plan.summary is summary and plan.verbatim == rest and plan.dropped == 0
    assert plan.messages[0].role == "system"
    assert plan.messages[1].role == "user"
    assert plan.messages[1].content.startswith(
        f"Summary of the debate so far (messages #1–#{first.cover_to_seq}"
    )
    assert "- Con (against a ban): claims" in plan.messages[1].content
    for covered in msgs[: first.cover_to_seq]:
        assert all(covered.content not in m.content for m in plan.messages)
    assert plan.tokens <= plan.budget.input


@pytest.mark.parametrize("max_tokens", [1000, 2000, 4000, 10_000])
@pytest.mark.parametrize("count", [0, 5, 40, 200])
def test_whatever_is_sent_fits_the_budget_with_its_margin(max_tokens: int, count: int) -> None:
    d = debate(turns_taken=count, max_tokens=max_tokens, rounds=100)
    pro = d.participants[count % 3]
    msgs = history(d, count, words=30)
    manager = ContextManager(margin=0.1)
    summary = None
    for _ in range(4):
        plan = manager.plan(d, pro, msgs, summary)
        if isinstance(plan, Ready):
            break
        summary = summary_of(d, plan.cover_to_seq, narrative="It went back and forth.", text="x " * 20)
        msgs = [m for m in msgs if m.seq > plan.cover_to_seq]
    assert isinstance(plan, Ready)
    budget = manager.budget(pro)
    assert budget.input == max_tokens - 256 - max_tokens // 10
    assert plan.tokens == estimate_messages(plan.messages)
    assert plan.tokens <= budget.input


def test_the_model_window_caps_the_budget() -> None:
    d = debate(max_tokens=10_000, context_window=2048)
    budget = ContextManager().budget(d.participants[0])
    assert budget.total == 2048


def test_a_budget_too_small_for_the_fixed_parts_is_a_context_length_error() -> None:
    d = debate(turns_taken=0, max_tokens=600, system_prompt="Background. " * 200)
    with pytest.raises(ContextLengthExceededError, match="raise max_tokens"):
        ContextManager().plan(d, d.participants[0], [], None)


def test_shrink_takes_tokens_off_the_budget() -> None:
    d = debate(turns_taken=30, max_tokens=4000)
    pro = d.participants[0]
    msgs = history(d, 30, words=20)
    manager = ContextManager()
    loose = manager.plan(d, pro, msgs, None, force=True)
    tight = manager.plan(d, pro, msgs, None, force=True, shrink=1500)
    assert isinstance(loose, Ready) and isinstance(tight, Ready)
    assert tight.tokens <= loose.budget.input - 1500
    assert len(tight.verbatim) < len(loose.verbatim)
    assert tight.dropped > 0


def test_estimates_never_undercount_the_mock_tokenizer_or_cjk() -> None:
    english = "The strongest point here is evidence, and incentives shape behaviour. " * 20
    assert estimate_text(english) >= max(len(english.split()), (len(english) + 3) // 4)
    cjk = "城市应该禁止私家车吗" * 10
    assert estimate_text(cjk) >= len(cjk)


def test_the_instruction_is_labelled_even_when_merged_into_the_previous_speakers_message() -> None:
    d = debate(turns_taken=1)
    con = d.participants[1]
    plan = ContextManager().plan(d, con, history(d, 1), None)
    assert isinstance(plan, Ready)
    last = plan.messages[-1].content
    spoken, _, instruction = last.partition("\n\n")
    assert spoken.startswith("Pro: point 1") and "Round" not in spoken
    assert instruction.startswith(f"{prompts.INSTRUCTION_LABEL} Round 1 of 10.")
    assert prompts.INSTRUCTION_NOTE in plan.messages[0].content


def test_stop_sequences_end_a_turn_at_the_next_speaker_or_a_new_instruction() -> None:
    d = debate()
    pro, con = d.participants[0], d.participants[1]
    assert prompts.stop_sequences(d, pro)[:3] == ["\nCon:", "\n[Instruction]", "\nRound "]
    stops = prompts.stop_sequences(d, con)
    assert len(stops) <= prompts.MAX_STOPS and "\nPro:" in stops and "\nCon:" not in stops


def test_a_copied_instruction_and_turns_written_for_others_are_not_stored() -> None:
    d = debate()
    con = d.participants[1]
    leaked = (
        "Round 3 of 10. You are Con; your stance: against a ban. Respond to the points made since your "
        "last turn and advance your position.\nCars give freedom.\nThey are needed.\n"
        "Pro: but pollution!\nCon: no."
    )
    assert prompts.clean_turn(leaked, d, con) == "Cars give freedom.\nThey are needed."
    same_line = "[Instruction] Round 2 of 10. Cars give freedom."
    assert prompts.clean_turn(same_line, d, con) == "Cars give freedom."
    # A turn opened under another speaker's name keeps its text, not the name (small models do this).
    assert prompts.clean_turn("Con: Pro: is wrong here.", d, con) == "is wrong here."
    assert prompts.clean_turn("Pro: Cars give freedom.\nPro: no.", d, con) == "Cars give freedom."
    assert prompts.clean_turn("A point.\n[Instruction] Round 4 of 10.", d, con) == "A point."
    # Its own name again mid-turn is dropped, bold labels count as labels.
    assert prompts.clean_turn("First.\nCon: Second.\n**Con:**", d, con) == "First.\nSecond."
    assert prompts.clean_turn("**Pro:** Cars give freedom.\n**Pro**: no.", d, con) == "Cars give freedom."


def test_a_word_rule_sets_a_debaters_reply_cap_and_leaves_judges_alone() -> None:
    from mcp_debate.context.manager import reply_cap, word_limit

    assert word_limit(["Be concise.", "At most 80 words per turn.", "no more than 120 words"]) == 80
    assert word_limit(["Be concise."]) is None
    d = debate().model_copy(update={"rules": ["Keep each turn under 100 words."]})
    manager = ContextManager()
    pro, judge = d.participants[0], d.participants[2]
    assert manager.budget(pro, d).reserve == reply_cap(100) == 174
    assert manager.budget(pro).reserve == pro.max_output_tokens
    assert manager.budget(judge.model_copy(update={"role": "judge"}), d).reserve == judge.max_output_tokens


def test_a_runaway_repeat_is_cut_at_its_first_repetition() -> None:
    d = debate()
    con = d.participants[1]
    first = "The answer to the question is 5.\n\nThe others said so too, as follows:"
    looped = f"{first}\n\nThe answer to the question is 5.\n\nThe others said so"
    assert prompts.clean_turn(looped, d, con) == first
    assert prompts.clean_turn("Yes.\nYes.\nNo.", d, con) == "Yes.\nYes.\nNo."  # short lines may repeat

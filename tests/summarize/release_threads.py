"""Two realistic release threads, written for the summary tests (not taken from any dataset).

Each is a list of ``"author: text"`` lines (see :func:`summarize.summ_fakes.msgs`); message ``m<N>`` is line N.
They are worded differently on purpose: the summarizer must get both right, not one example.
"""

from __future__ import annotations

# The 3.2 server release: four people, one decision, five action items, three answered questions, one open one.
RELEASE_32 = (
    "alice: Morning all! Kicking off the 3.2 release thread. The release candidate is cut from main and QA "
    "starts today.",
    "bob: morning ☕",
    "carol: hi 👋",
    "alice: Two blockers left on the board: the payments migration and the flaky checkout e2e test.",
    "dave: The checkout test fails about one run in five, it's a race in the cart fixture.",
    "alice: @dave can you fix the flaky checkout test by Wednesday?",  # m6: action, dave, Wednesday
    "dave: yep, on it",
    "bob: The payments migration takes 40 minutes on the staging copy and locks the ledger table the whole time.",
    "carol: Could we run it online with the batched backfill instead of one big ALTER?",  # answered by m10
    "bob: The batched backfill works, I tried it on staging last night: no lock, about an hour in total.",
    "alice: So do we ship 3.2 on Tuesday, or wait until the backfill is done on Thursday?",  # answered by m12
    "carol: Tuesday feels risky with the backfill still running, I'd rather wait.",
    "dave: +1 for Thursday",
    "alice: OK, decision: we ship 3.2 on Thursday after the backfill completes, and the code freeze stays until "
    "then.",  # m14: the decision
    "bob: sounds good 👍",
    "alice: bob, can you take the migration? Run the batched backfill on production tomorrow morning.",  # m16
    "bob: Sure, I'll take it.",  # m17: accepts m16 (not a second item)
    "carol: I'll write the release notes and the upgrade guide before the 3.2 release.",  # m18: carol
    "dave: lol the coffee machine on the 3rd floor is broken again",
    "bob: nooo",
    "carol: @bob which SDK version should the release notes mention?",  # m21: answered by m23 (to carol)
    "alice: reminder that the retro is on Friday at 4",
    "bob: @carol 4.1, the 4.0 line is deprecated now.",
    "dave: @confab remind us to update the status page on Thursday before we ship",  # m24: the team
    "alice: I'll send the go/no-go email to the stakeholders EOD.",  # m25: alice, EOD
    "carol: nice, thanks",
    "dave: Does the mobile team need the new API keys before Thursday?",  # m27: never answered
    "alice: ramen for lunch anyone? the new place on 5th",
    "bob: count me in 🍜",
    "carol: Thanks all, see you at the go/no-go on Thursday.",
)

# The Android 5.0 app launch: other people, other phrasing (agreement, "please", "could you", "action item for
# me", "remind me", an answer two messages later addressed by name, a question to the bot).
ANDROID_LAUNCH = (
    "maria: Hi team, quick sync on the Android 5.0 launch. Store review came back clean this morning.",
    "tom: great news",
    "priya: The crash rate on the beta is 0.4%, mostly the old image cache on Android 9 devices.",
    "li: Is the image cache fix in build 512?",  # m4: answered right after
    "priya: Yes, it landed yesterday, build 512 has it.",
    "maria: Then the open point is the rollout: 100% on day one, or staged?",  # m6: answered
    "tom: Staged please. 10% first, then 50% after two days if crashes stay flat.",
    "li: agree with tom",
    "maria: Agreed — we're going with the staged rollout, 10% on Monday and 50% on Wednesday if the crash rate "
    "holds.",  # m9: the decision
    "priya: 👍",
    "maria: Tom, please update the Play Store screenshots by end of day Friday.",  # m11: tom
    "tom: will do",
    "li: i can take the smoke tests on the release build tomorrow",  # m13: li, tomorrow
    "maria: li, could you also draft the rollout announcement for the blog?",  # m14: li ...
    "li: sure, I'll have a draft of the announcement ready by Thursday",  # m15: ... by Thursday (one item)
    "priya: Action item for me: write the rollback runbook, due next Tuesday.",  # m16: priya
    "tom: anyone watching the game tonight?",
    "li: haha no, too much to do",
    "maria: @confab remind me to flip the release flag on Monday at 9",  # m19: maria
    "priya: maria, did legal approve the new privacy text?",  # m20: answered by m22 (to priya)
    "tom: the coffee order is in the kitchen btw",
    "maria: priya — yes, legal approved it on Tuesday, it's in the build.",
    "li: @confab what did we decide about the rollout?",  # m23: asked of the bot, which answers it
    "tom: Who owns the support macros for the launch week?",  # m24: never answered
    "li: brb, standup",
    "priya: lunch is here 🍕",
)

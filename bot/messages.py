"""User-facing strings of the platform edge, in one place."""

RATE_LIMITED_USER = "You're sending me requests faster than I can keep up. Try again in {seconds} s."
RATE_LIMITED_CHANNEL = "This channel is keeping me very busy. Try again in {seconds} s."
RATE_LIMITED_REACTION = "⏳"  # later refusals in the same minute: a reaction instead of another note
TOO_LONG = (
    "That message is too long for me to work with ({length:,} characters; my limit is {limit:,}). "
    "Ask a shorter question, or put long text in a file in the knowledge folder."
)
UNKNOWN_COMMAND = "I don't know the command `/{name}`. Type `/help` to see what I can do."
ADMIN_ONLY = (
    "Only admins can use `/{name}`. Admins are: in the console, whoever `/as NAME admin` made one; on Slack, the "
    "workspace's admins and owners; on Discord, members with the Administrator or Manage Server permission."
)
BECOME_ADMIN = {
    "console": "In the console, become one with `/as {user} admin`.",
    "slack": "On Slack, admins are the workspace's admins and owners (an owner can make you one in the admin "
             "settings, Manage members).",
    "discord": "On Discord, admins are members with the Administrator or Manage Server permission (a server "
               "admin can give your role one in Server Settings → Roles).",
}
COMMAND_FAILED = "`/{name}` failed on my side; the details are in my logs. Please try again."
COMMAND_TIMED_OUT = "`/{name}` took longer than {seconds:.0f} s and was stopped. I'm busy right now; please try again."
STOPPED_BEFORE_ANSWER = "I was restarted before I could finish this; please ask again."
GAVE_UP = "Sorry, I couldn't answer this: something kept failing on my side (the details are in my logs). " \
    "Please ask again."
SEND_FAILED = "I couldn't post my answer here."
STREAM_CUT = "⚠️ _The answer above was cut off and is incomplete: {reason}_"
FORGET_CONFIRM = (
    "This erases everything I remember about this channel ({count:,} messages, followed threads, "
    "settings, summaries and feedback on my answers). Type `/forget confirm` within {seconds} s to go ahead."
)
FORGET_DONE = "Done: I've forgotten this channel ({count:,} messages)."
FORGET_NOTHING = "There is no pending `/forget` for you here. Type `/forget` first."
VOTE_RECORDED = "Thanks, I recorded your {emoji} on this answer."
VOTE_CHANGED = "Changed your vote on this answer to {emoji}."
VOTE_WITHDRAWN = "Took back your {emoji} on this answer."
UNKNOWN_ANSWER = "I no longer have that answer (it may have been forgotten or expired), so there is nothing to rate."
BAD_VOTE = "I couldn't read that vote: use 👍 or 👎 under one of my answers."
VOTE_FAILED = "I couldn't record your vote just now; please try again."
UNKNOWN_BUTTON = "I don't know that button (it may be from an older version of me)."
ASK_USAGE = "Usage: `/ask <question>`, e.g. `/ask how do I deploy Confab?`"


def admin_only(name: str, platform: str, user: str = "NAME") -> str:
    """A refused admin command, with how to become an admin on that platform."""
    how = BECOME_ADMIN.get(platform)
    return f"Only admins can use `/{name}`. {how.format(user=user)}" if how else ADMIN_ONLY.format(name=name)

"""User-facing strings of the platform edge, in one place."""

RATE_LIMITED_USER = "You're sending me requests faster than I can keep up. Try again in {seconds} s."
RATE_LIMITED_CHANNEL = "This channel is keeping me very busy. Try again in {seconds} s."
RATE_LIMITED_REACTION = "⏳"  # later refusals in the same minute: a reaction instead of another note
TOO_LONG = (
    "That message is too long for me to work with ({length:,} characters; my limit is {limit:,}). "
    "Ask a shorter question, or put long text in a file in the knowledge folder."
)
UNKNOWN_COMMAND = "I don't know the command `/{name}`. Type `/help` to see what I can do."
ADMIN_ONLY = "Only admins can use `/{name}`."
COMMAND_FAILED = "`/{name}` failed on my side; the details are in my logs. Please try again."
COMMAND_TIMED_OUT = "`/{name}` took longer than {seconds:.0f} s and was stopped. I'm busy right now; please try again."
SEND_FAILED = "I couldn't post my answer here."
FORGET_CONFIRM = (
    "This erases everything I remember about this channel ({count:,} messages, followed threads, "
    "settings and summaries). Type `/forget confirm` within {seconds} s to go ahead."
)
FORGET_DONE = "Done: I've forgotten this channel ({count:,} messages)."
FORGET_NOTHING = "There is no pending `/forget` for you here. Type `/forget` first."
ASK_USAGE = "Usage: `/ask <question>`, e.g. `/ask how do I deploy Confab?`"

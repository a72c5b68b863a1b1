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
    "settings, summaries, its digest schedule and feedback on my answers). Type `/forget confirm` within {seconds} s "
    "to go ahead."
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

# files attached to a message (bot/downloads.py, bot/attached.py): why one was not read, as "{name}: {reason}"
FILE_NOT_READ = "I couldn't read `{name}`: {reason}."
FILE_TOO_BIG = "it is over the {limit:.3g} MB limit for attachments"
FILE_EMPTY = "it is empty"
FILE_WRONG_HOST = "it isn't stored on {platform}'s own file servers, so I won't download it"
FILE_REDIRECTED = "its download was redirected away from {platform}'s file servers"
FILE_HOST_ERROR = "the file server answered {status}"
FILE_TIMED_OUT = "the download timed out"
FILE_UNREACHABLE = "the file server could not be reached"
FILE_WEB_PAGE = "the file server sent a web page instead of the file (on Slack: does the app have `files:read`?)"
FILE_NO_LINK = "it came without a download link"
FILE_MISSING = "there is no such file"
FILE_UNSUPPORTED = "I read text, Markdown, code, logs, HTML, PDF and images, not `{mime}` files"
FILE_TOO_MANY = "I read at most {limit} files per message"
IMAGE_OFFLINE = (
    "I can't see images while running offline (`{name}`). To have me look at images, set `CONFAB_MODEL` to a "
    "model that accepts them (e.g. `openai:gpt-4.1-mini`) and `CONFAB_MODEL_VISION=true`."
)
IMAGE_NO_VISION = (
    "The configured model isn't set up to see images (`{name}`). If it accepts them, set `CONFAB_MODEL_VISION=true`."
)

# voice messages and audio clips (bot/voice.py)
TRANSCRIPT_MARK = "[voice transcript]"  # what the stored text carries before a transcript (search, summaries, spam)
TRANSCRIPT_SHOWN = "🎙️ Transcript of {name}: {text}"
TRANSCRIPT_NOT_MADE = "🎙️ {name}: {reason}"

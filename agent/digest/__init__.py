"""Scheduled digests (``/digest``): a channel's decisions, action items and open questions since its last digest,
posted on a daily or weekly schedule.

    schedule.py   parsing ``daily 09:00 Europe/Berlin`` / ``weekly mon 09:00`` and the next run (DST-correct)
    content.py    the digest itself, from the summarizer over the channel's stored messages
"""

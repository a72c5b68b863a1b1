"""Confab as a Slack app: slack-bolt ``AsyncApp`` over Socket Mode or HTTP.

``convert`` (payload -> neutral events) and ``format`` (Markdown -> mrkdwn, splitting, escaping) are
pure; ``adapter`` and ``listeners`` hold everything that talks to Slack.
"""

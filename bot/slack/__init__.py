"""Confab as a Slack app: slack-bolt ``AsyncApp`` over Socket Mode or HTTP.

``convert`` (payload -> neutral events) and ``format`` (Markdown -> mrkdwn, splitting, escaping) are
pure; ``notes`` decides a reply's thread and keeps the progress notes; ``pacing`` and ``http_edge``
guard the Web API and the HTTP endpoint; ``listeners`` turns bolt's events and commands into handler
calls, using the adapter only through the ``ports.SlackEdge`` Protocol; ``pane`` is the assistant pane
(its threads' records in ``pane_threads``, the membership check in ``access``); ``adapter`` owns the
connection and the outgoing calls.
"""

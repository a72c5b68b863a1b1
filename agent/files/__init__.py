"""Files attached to the message a turn answers (issue 24): read, searched, summarised, shown to a model.

    model.py     AttachedFile (a read file: its passages, or an image's bytes) and FileUnreadable
    reading.py   a downloaded file -> AttachedFile through the knowledge loaders, in a worker thread
    search.py    the ``read_attached_files`` tool: passages that answer, or a summary, cited into the file
    prompt.py    what a configured model is given: passages as data, images as content parts, within a budget

The platform edge downloads the files (``bot.adapter.Adapter.fetch_file``) and puts what was read in the
turn's context (:attr:`agent.context.TurnContext.files`): only the files of the message being answered
(or of its thread), so nothing from one channel's files reaches another channel's answer.
"""

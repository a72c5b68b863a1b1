"""Conversation summaries: scope parsing, an offline extractive summarizer, an LLM map-reduce, rendering.

The service (:mod:`agent.summarize.service`) collects a channel's or thread's messages and hands them to
:func:`agent.summarize.extractive.summarize_extractive` (offline) or
:func:`agent.summarize.llm.summarize_with_llm` (a configured chat model); both return a
:class:`agent.summarize.model.Summary`, rendered to Markdown by :mod:`agent.summarize.render`.
"""

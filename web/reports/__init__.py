"""Drafts of reports written as .docx (python-docx): the session's 办理情况报告. Imported by the web and the cli."""

# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The documentation holds together: the index lists every page, links and paths resolve.

Pages: README.md and every Markdown file under docs/ (docs/results/ included). A link is a
Markdown link or image, ``[text](target)``, outside code; relative targets resolve against
the page's folder, and a ``#section`` of a Markdown target must be one of its headings (as
GitHub names them). Paths written as ``docs/...`` in a page resolve against the repository.
"""

import os
import re

import pytest
from test_lint import REPO

DOCS = os.path.join(REPO, 'docs')
README = os.path.join(REPO, 'README.md')
INDEX = os.path.join(DOCS, 'README.md')
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
DOCS_PATH = re.compile(r'(?<![\w/.-])docs/[\w./-]*[\w/]')
README_MAX_BYTES = 10_000


def doc_files():
    """Every file under docs/, as absolute paths, sorted."""
    found = []
    for root, _, names in os.walk(DOCS):
        found += [os.path.join(root, name) for name in names]
    return sorted(found)


def pages():
    return [README] + [path for path in doc_files() if path.endswith('.md')]


def without_fences(text):
    return re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)


def without_code(text):
    """``text`` with fenced blocks and inline code spans removed."""
    return re.sub(r'`[^`\n]*`', '', without_fences(text))


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def links(page):
    """``[(absolute target path, section or '')]`` of the page's links into this repository."""
    found = []
    for target in LINK.findall(without_code(read(page))):
        if re.match(r'[a-z][a-z0-9+.-]*:', target):
            continue  # a URL
        path, _, section = target.partition('#')
        path = os.path.join(os.path.dirname(page), path) if path else page
        found.append((os.path.normpath(path), section))
    return found


def relative_links(page):
    """``{absolute target path}`` of the page's links to other files of this repository."""
    return {path for path, _ in links(page) if path != page}


def sections(page):
    """GitHub's anchors of the page's headings.

    Lower case, punctuation dropped, ``-`` for each space; repeats get ``-1``, ``-2``...
    """
    seen, anchors = {}, set()
    for heading in re.findall(r'^#+ +(.+?) *$', without_fences(read(page)), re.M):
        slug = re.sub(r'[^\w\- ]', '', heading.lower()).replace(' ', '-')
        anchors.add(f'{slug}-{seen[slug]}' if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def rel(path):
    return os.path.relpath(path, REPO)


@pytest.mark.parametrize('page', pages(), ids=rel)
def test_every_relative_link_resolves(page):
    missing = sorted(rel(t) for t in relative_links(page) if not os.path.exists(t))
    assert not missing, f'{rel(page)} links to missing files: {missing}'
    unknown = sorted(f'{rel(path)}#{section}' for path, section in links(page)
                     if section and path.endswith('.md') and os.path.exists(path)
                     and section not in sections(path))
    assert not unknown, f'{rel(page)} links to missing sections: {unknown}'


@pytest.mark.parametrize('page', pages(), ids=rel)
def test_every_docs_path_written_in_a_page_exists(page):
    paths = set(DOCS_PATH.findall(read(page)))
    missing = sorted(p for p in paths if not os.path.exists(os.path.join(REPO, p)))
    assert not missing, f'{rel(page)} names missing paths: {missing}'


def test_the_index_links_every_page():
    listed = relative_links(INDEX)
    unlisted = [rel(p) for p in pages() if p not in (README, INDEX) and p not in listed]
    assert not unlisted, f'docs/README.md does not link: {unlisted}'


def test_every_file_under_docs_is_linked_from_a_page():
    linked = set().union(*(relative_links(page) for page in pages()))
    orphans = [rel(p) for p in doc_files() if p != INDEX and p not in linked]
    assert not orphans, f'files no page links to (link or delete them): {orphans}'


def test_the_readme_links_the_index_and_stays_short():
    assert INDEX in relative_links(README)
    size = os.path.getsize(README)
    assert size <= README_MAX_BYTES, f'README.md is {size} bytes (at most {README_MAX_BYTES})'


def test_the_readme_starts_with_the_two_commands():
    match = re.match(r'# [^\n]+\n+```bash\n(.*?)\n```', read(README), re.S)
    assert match, 'README.md should open with a bash block after its title'
    commands = [line.split('#', 1)[0].strip() for line in match.group(1).splitlines()]
    assert commands == ['make demo', 'make test']

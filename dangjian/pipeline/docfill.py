"""Fill `{{placeholder}}` fields of a .docx with python-docx, keeping the formatting of the run where each
placeholder starts. Word often splits a typed placeholder over several runs ("{{na" + "me}}"): a paragraph is
matched on the text of all its runs, then the runs are rewritten.

A table row whose cells contain `{{list.field}}` placeholders is repeated once per item of `lists["list"]`.
"""

import copy
import re

from docx.table import _Row

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")
BLANK = "________"


def _replace(paragraph, resolve):
    runs = paragraph.runs
    texts = [r.text for r in runs]
    full = "".join(texts)
    matches = list(PLACEHOLDER.finditer(full))
    if not matches:
        return
    owner = [i for i, t in enumerate(texts) for _ in t]
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t)
    for match in reversed(matches):
        first, last = owner[match.start()], owner[match.end() - 1]
        head, tail = match.start() - starts[first], match.end() - starts[last]
        value = resolve(match.group(1))
        if first == last:
            texts[first] = texts[first][:head] + value + texts[first][tail:]
        else:
            texts[first] = texts[first][:head] + value
            texts[last] = texts[last][tail:]
            for i in range(first + 1, last):
                texts[i] = ""
    for run, text in zip(runs, texts):
        if run.text != text:
            run.text = text


def _cells_paragraphs(cells):
    for cell in cells:
        yield from cell.paragraphs
        for inner in cell.tables:
            for row in inner.rows:
                yield from _cells_paragraphs(row.cells)


def _tables(container):
    for t in container.tables:
        yield t
        for row in t.rows:
            for cell in row.cells:
                yield from _tables(cell)


def all_paragraphs(doc):
    """Every paragraph of the body, its tables (nested too), headers and footers."""
    yield from doc.paragraphs
    for t in doc.tables:
        for row in t.rows:
            yield from _cells_paragraphs(row.cells)
    for section in doc.sections:
        parts = [section.header, section.footer, section.even_page_header, section.even_page_footer]
        if section.different_first_page_header_footer:
            parts += [section.first_page_header, section.first_page_footer]
        for part in parts:
            if part.is_linked_to_previous:   # no definition of its own (reading would create one)
                continue
            yield from part.paragraphs
            for t in part.tables:
                for row in t.rows:
                    yield from _cells_paragraphs(row.cells)


def placeholders(doc):
    """The set of placeholder names used in the document."""
    found = set()
    for p in all_paragraphs(doc):
        found.update(m.group(1) for m in PLACEHOLDER.finditer(p.text))
    return found


def _row_list(row, lists):
    names = {m.group(1).split(".", 1)[0] for cell in row.cells for p in _cells_paragraphs([cell])
             for m in PLACEHOLDER.finditer(p.text) if "." in m.group(1)}
    names &= set(lists)
    return names.pop() if names else None


def _text(value):
    return BLANK if value in (None, "") else str(value)


def fill(doc, values, lists=None):
    """Replace every placeholder: scalars from `values`, repeated rows from `lists` (name -> [dict])."""
    lists = lists or {}
    for table in list(_tables(doc)):
        for row in list(table.rows):
            name = _row_list(row, lists)
            if name is None:
                continue
            items = lists[name] or [{}]
            tr = row._tr
            for item in items:
                clone = copy.deepcopy(tr)
                tr.addprevious(clone)
                prefix = name + "."

                def resolve(key, item=item, prefix=prefix):
                    return _text(item.get(key[len(prefix):]) if key.startswith(prefix) else values.get(key))

                for p in _cells_paragraphs(_Row(clone, table).cells):
                    _replace(p, resolve)
            tr.getparent().remove(tr)
    for p in all_paragraphs(doc):
        _replace(p, lambda key: _text(values.get(key)))
    return doc

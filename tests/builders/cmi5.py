"""Small cmi5 packages built in code, for parser tests.

    cmi5_xml(items=[AU("https://ex.com/au/1", "AU 1", "index.html", moveOn="Passed")])  -> str
    cmi5_zip(...)  -> zip bytes: cmi5.xml plus each relative AU url as an HTML page (unless in
                      omit_files); xml= replaces the generated cmi5.xml; extra_files are added.
    Block("https://ex.com/block/1", "Block", [AU(...), ...]); objectives=[("https://ex.com/o/1", "Obj")].
    AU attrs: any attribute name -> value (moveOn, masteryScore, launchMethod, activityType...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from tests.builders.aicc import PAGE, zip_bytes

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
COURSE_ID = "https://example.com/course/1"


@dataclass
class AU:
    id: str
    title: str
    url: str = "index.html"
    attrs: dict[str, str] = field(default_factory=dict)
    launch_parameters: str | None = None
    entitlement_key: str | None = None
    objectives: Sequence[str] = ()
    lang: str = "en-US"


@dataclass
class Block:
    id: str
    title: str
    children: Sequence[Block | AU] = ()
    objectives: Sequence[str] = ()


def _ls(tag: str, text: str, lang: str = "en-US") -> str:
    return f"<{tag}><langstring lang={quoteattr(lang)}>{escape(text)}</langstring></{tag}>"


def _refs(objectives: Sequence[str]) -> str:
    if not objectives:
        return ""
    return "<objectives>" + "".join(f"<objective idref={quoteattr(o)}/>" for o in objectives) + "</objectives>"


def _item(item: Block | AU) -> str:
    if isinstance(item, Block):
        return (f"<block id={quoteattr(item.id)}>{_ls('title', item.title)}{_ls('description', 'Block')}"
                f"{_refs(item.objectives)}{''.join(_item(c) for c in item.children)}</block>")
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in item.attrs.items())
    extra = ""
    if item.launch_parameters is not None:
        extra += f"<launchParameters>{escape(item.launch_parameters)}</launchParameters>"
    if item.entitlement_key is not None:
        extra += f"<entitlementKey>{escape(item.entitlement_key)}</entitlementKey>"
    return (f"<au id={quoteattr(item.id)}{attrs}>{_ls('title', item.title, item.lang)}"
            f"{_ls('description', 'An AU', item.lang)}{_refs(item.objectives)}"
            f"<url>{escape(item.url)}</url>{extra}</au>")


def cmi5_xml(items: Sequence[Block | AU] = (AU("https://example.com/au/1", "AU 1"),),
             course_id: str = COURSE_ID, title: str = "cmi5 Course", description: str = "A cmi5 course",
             objectives: Sequence[tuple[str, str]] = (), lang: str = "en-US", ns: str = NS) -> str:
    objs = ""
    if objectives:
        objs = "<objectives>" + "".join(
            f"<objective id={quoteattr(oid)}>{_ls('title', t)}{_ls('description', t)}</objective>"
            for oid, t in objectives) + "</objectives>"
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<courseStructure{xmlns}>'
            f"<course id={quoteattr(course_id)}>{_ls('title', title, lang)}{_ls('description', description, lang)}"
            f"</course>{objs}{''.join(_item(i) for i in items)}</courseStructure>")


def _walk(items: Sequence[Block | AU]) -> Iterable[AU]:
    for i in items:
        if isinstance(i, Block):
            yield from _walk(i.children)
        else:
            yield i


def cmi5_zip(items: Sequence[Block | AU] = (AU("https://example.com/au/1", "AU 1"),),
             xml: str | None = None, omit_files: Iterable[str] = (),
             extra_files: dict[str, bytes] | None = None, **kwargs) -> bytes:
    files: dict[str, bytes | str] = {"cmi5.xml": xml if xml is not None else cmi5_xml(items, **kwargs)}
    omit = set(omit_files)
    for au in _walk(items):
        path = au.url.split("?", 1)[0].split("#", 1)[0]
        if "://" not in au.url and path and path not in omit:
            files[path] = PAGE
    files.update(extra_files or {})
    return zip_bytes(files)

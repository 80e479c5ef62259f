"""Small SCORM packages built in code, as zip bytes, for parser and API tests.

    zip_bytes({"imsmanifest.xml": "...", "index.html": b"..."})       -> bytes
    scorm12_zip("Title", scos=[("sco1", "SCO 1", "index.html")], masteryscore=80)
    scorm2004_zip(edition="4th", items=[Item("a1", "Activity 1", "a1.html",
                  inner_xml="<imsss:sequencing>...</imsss:sequencing>")],
                  sequencing_xml="<imsss:sequencing>...</imsss:sequencing>")

Every leaf's launch file is added as a small HTML page (unless listed in omit_files); `folder`
puts the whole package one folder down ("sub/imsmanifest.xml"). `manifest_override` replaces
the generated manifest text entirely (the launch files are still added). The *_manifest
functions return just the manifest text.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.sax.saxutils import escape, quoteattr

NS12 = (
    'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
    'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
NS2004 = (
    'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
    'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
    'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" '
    'xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" '
    'xmlns:imsss="http://www.imsglobal.org/xsd/imsss" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
SCHEMAVERSION_2004 = {"2nd": "CAM 1.3", "3rd": "2004 3rd Edition", "4th": "2004 4th Edition"}
PAGE = b"<!DOCTYPE html><html><head><title>page</title></head><body>content</body></html>"


@dataclass
class Item:
    """One <item>. A leaf has an href (its resource is generated as res_<id>); a cluster has
    children. inner_xml goes inside <item> after <title> (adlcp:*, imsss:sequencing, adlnav...);
    resource_attrs / resource_xml go on / inside the generated <resource>."""

    id: str
    title: str
    href: str | None = None
    children: Sequence[Item] = ()
    scorm_type: str = "sco"
    parameters: str | None = None
    inner_xml: str = ""
    item_attrs: str = ""
    resource_attrs: str = ""
    resource_xml: str = ""
    files: Sequence[str] = field(default_factory=tuple)  # extra <file href> entries


ItemLike = Item | tuple


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    """A zip (deflated) holding FILES: name -> content (str is UTF-8 encoded)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buf.getvalue()


def _items(raw: Iterable[ItemLike]) -> list[Item]:
    return [r if isinstance(r, Item) else Item(*r) for r in raw]


def _walk(items: Iterable[Item]) -> Iterable[Item]:
    for it in items:
        yield it
        yield from _walk(it.children)


def _item_xml(it: Item, scorm12: bool, masteryscore: float | None, indent: str = "      ") -> str:
    attrs = f'identifier={quoteattr(it.id)}'
    if it.href is not None and not it.children:
        attrs += f' identifierref={quoteattr("res_" + it.id)}'
    if it.parameters:
        attrs += f" parameters={quoteattr(it.parameters)}"
    if it.item_attrs:
        attrs += " " + it.item_attrs
    inner = f"{indent}  <title>{escape(it.title)}</title>\n"
    if scorm12 and masteryscore is not None and not it.children:
        inner += f"{indent}  <adlcp:masteryscore>{masteryscore:g}</adlcp:masteryscore>\n"
    if it.inner_xml:
        inner += f"{indent}  {it.inner_xml}\n"
    for child in it.children:
        inner += _item_xml(child, scorm12, masteryscore, indent + "  ")
    return f"{indent}<item {attrs}>\n{inner}{indent}</item>\n"


def _resources_xml(items: list[Item], scorm12: bool) -> str:
    attr = "adlcp:scormtype" if scorm12 else "adlcp:scormType"
    out = []
    for it in _walk(items):
        if it.href is None or it.children:
            continue
        files = "".join(f"      <file href={quoteattr(f)}/>\n"
                        for f in [it.href.split("?")[0], *it.files])
        extra = (" " + it.resource_attrs) if it.resource_attrs else ""
        out.append(
            f'    <resource identifier={quoteattr("res_" + it.id)} type="webcontent" '
            f"{attr}={quoteattr(it.scorm_type)} href={quoteattr(it.href)}{extra}>\n"
            f"{files}{('      ' + it.resource_xml + chr(10)) if it.resource_xml else ''}    </resource>\n"
        )
    return "".join(out)


def scorm12_manifest(title: str = "SCORM 1.2 course", scos: Iterable[ItemLike] = (("sco1", "SCO 1", "index.html"),),
                     masteryscore: float | None = None, identifier: str = "course_12",
                     schemaversion: str | None = "1.2", metadata_xml: str = "",
                     resources_xml: str = "") -> str:
    """A SCORM 1.2 manifest: one organization 'org' titled TITLE holding SCOS ((id, title, href)
    tuples or Items); MASTERYSCORE on every leaf; METADATA_XML inside <metadata>."""
    items = _items(scos)
    sv = f"<schemaversion>{escape(schemaversion)}</schemaversion>" if schemaversion else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest identifier={quoteattr(identifier)} version="1.0" {NS12}>\n'
        f"  <metadata><schema>ADL SCORM</schema>{sv}{metadata_xml}</metadata>\n"
        f'  <organizations default="org">\n    <organization identifier="org">\n'
        f"      <title>{escape(title)}</title>\n"
        + "".join(_item_xml(it, True, masteryscore) for it in items)
        + "    </organization>\n  </organizations>\n  <resources>\n"
        + _resources_xml(items, True) + resources_xml
        + "  </resources>\n</manifest>\n"
    )


def scorm2004_manifest(edition: str = "4th", title: str = "SCORM 2004 course",
                       items: Iterable[ItemLike] = (("sco1", "SCO 1", "index.html"),),
                       sequencing_xml: str = "", collection_xml: str = "",
                       identifier: str = "course_2004", schemaversion: str | None = "",
                       metadata_xml: str = "", resources_xml: str = "",
                       organization_attrs: str = "") -> str:
    """A SCORM 2004 manifest of EDITION ("2nd" | "3rd" | "4th"); SCHEMAVERSION "" means the
    edition's own, None leaves it out. SEQUENCING_XML is the organization's own
    <imsss:sequencing>; COLLECTION_XML the inside of <imsss:sequencingCollection>."""
    its = _items(items)
    if schemaversion == "":
        schemaversion = SCHEMAVERSION_2004[edition]
    sv = f"<schemaversion>{escape(schemaversion)}</schemaversion>" if schemaversion else ""
    collection = (f"  <imsss:sequencingCollection>\n    {collection_xml}\n  </imsss:sequencingCollection>\n"
                  if collection_xml else "")
    org_attrs = (" " + organization_attrs) if organization_attrs else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest identifier={quoteattr(identifier)} version="1.0" {NS2004}>\n'
        f"  <metadata><schema>ADL SCORM</schema>{sv}{metadata_xml}</metadata>\n"
        f'  <organizations default="org">\n    <organization identifier="org"{org_attrs}>\n'
        f"      <title>{escape(title)}</title>\n"
        + "".join(_item_xml(it, False, None) for it in its)
        + (f"      {sequencing_xml}\n" if sequencing_xml else "")
        + "    </organization>\n  </organizations>\n  <resources>\n"
        + _resources_xml(its, False) + resources_xml
        + "  </resources>\n" + collection + "</manifest>\n"
    )


def _package(manifest: str, items: list[Item], extra_files: dict[str, bytes | str] | None,
             folder: str | None, omit_files: Iterable[str]) -> bytes:
    prefix = f"{folder.strip('/')}/" if folder else ""
    files: dict[str, bytes | str] = {f"{prefix}imsmanifest.xml": manifest}
    omit = set(omit_files)
    for it in _walk(items):
        if it.href and not it.children and "://" not in it.href:
            name = unquote(it.href.split("?")[0].split("#")[0])
            if name not in omit:
                files[prefix + name] = PAGE
    for name, content in (extra_files or {}).items():
        files[prefix + name] = content
    return zip_bytes(files)


def scorm12_zip(title: str = "SCORM 1.2 course", scos: Iterable[ItemLike] = (("sco1", "SCO 1", "index.html"),),
                masteryscore: float | None = None, extra_files: dict[str, bytes | str] | None = None,
                manifest_override: str | None = None, folder: str | None = None,
                omit_files: Iterable[str] = (), **manifest_kw) -> bytes:
    """A SCORM 1.2 package (see scorm12_manifest for the manifest arguments)."""
    items = _items(scos)
    manifest = manifest_override or scorm12_manifest(title, items, masteryscore, **manifest_kw)
    return _package(manifest, items, extra_files, folder, omit_files)


def scorm2004_zip(edition: str = "4th", title: str = "SCORM 2004 course",
                  items: Iterable[ItemLike] = (("sco1", "SCO 1", "index.html"),),
                  sequencing_xml: str = "", extra_files: dict[str, bytes | str] | None = None,
                  manifest_override: str | None = None, folder: str | None = None,
                  omit_files: Iterable[str] = (), **manifest_kw) -> bytes:
    """A SCORM 2004 package (see scorm2004_manifest for the manifest arguments)."""
    its = _items(items)
    manifest = manifest_override or scorm2004_manifest(edition, title, its, sequencing_xml, **manifest_kw)
    return _package(manifest, its, extra_files, folder, omit_files)

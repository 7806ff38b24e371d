"""ANAF's schematron (EN 16931 1.3.8 bound to UBL, and the CIUS-RO rules) run on a UBL document.

The rules use ``queryBinding="xslt2"``. lxml's ISO schematron skeleton (XSLT 1) compiles the ``.sch``
files into XSLT (include → abstract expand → SVRL) with the binding set to ``xslt`` for the compile
and the result's ``version`` set to ``2.0``; saxonche (the optional extra ``praho[efactura]``) runs
that XSLT 2. Compiling costs a fraction of a second per rule set, so the compiled XSLT is cached under
the user's cache directory, keyed by the sha256 of the source ``.sch``.

In the SVRL output both a ``failed-assert`` and a ``successful-report`` with ``flag="fatal"`` are
errors: the Bucharest rules (county ``RO-B`` needs a ``SECTOR1``…``SECTOR6`` city) are reports.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from praho_cli.result import ErrorCode, fail

SVRL = "http://purl.oclc.org/dsdl/svrl"
SCH = "http://purl.oclc.org/dsdl/schematron"
EN_RULES = Path("preprocessed") / "EN16931-UBL-validation-preprocessed.sch"
RO_RULES = Path("cius-ro") / "RO16931-rules.sch"
RO_WRAPPER_OF = Path("EN16931-CIUS_RO-UBL-validation.sch")  # whose <ns> elements declare the namespaces


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str
    location: str
    text: str


def cache_dir(environ: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/praho/schematron (default ~/.cache/praho/schematron)."""
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".cache")
    return Path(base) / "praho" / "schematron"


def _skeleton(name: str) -> Path:
    import lxml.isoschematron

    return Path(lxml.isoschematron.__file__).parent / "resources" / "xsl" / "iso-schematron-xslt1" / name


def _ro_schema_text(rules_dir: Path) -> bytes:
    """The bare CIUS-RO ``<pattern>`` wrapped in a ``<schema>`` declaring the UBL namespaces."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    wrapper = etree.parse(str(rules_dir / RO_WRAPPER_OF), parser).getroot()
    pattern = etree.parse(str(rules_dir / RO_RULES), parser).getroot()
    schema = etree.Element(f"{{{SCH}}}schema", queryBinding="xslt2", nsmap={None: SCH})
    for ns in wrapper.findall(f"{{{SCH}}}ns"):
        schema.append(ns)
    schema.append(pattern)
    return bytes(etree.tostring(schema, xml_declaration=True, encoding="UTF-8"))


def _compile(source: bytes, base_url: str) -> bytes:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    doc = etree.fromstring(source, parser, base_url=base_url).getroottree()
    root = doc.getroot()
    root.set("queryBinding", "xslt")
    for step in ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl"):
        transform = etree.XSLT(etree.parse(str(_skeleton(step))))
        doc = transform(doc)
    xslt_root = doc.getroot()
    if xslt_root is None:
        raise fail(ErrorCode.CONFIG, f"efactura.rules_dir: {base_url} did not compile to XSLT")
    xslt_root.set("version", "2.0")
    return bytes(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))


def compiled_rule_sets(rules_dir: Path, cache: Path) -> list[Path]:
    """The compiled XSLT of ANAF's two rule sets (compiled once, then read from the cache)."""
    for needed in (EN_RULES, RO_RULES, RO_WRAPPER_OF):
        if not (rules_dir / needed).is_file():
            raise fail(ErrorCode.CONFIG, f"efactura.rules_dir: {rules_dir} has no {needed} (point it at ANAF's "
                       "validation artefacts, e.g. the unpacked ro16931-ubl-1.0.9.zip)", setting="efactura.rules_dir")
    sources = {
        "en16931": ((rules_dir / EN_RULES).read_bytes(), str(rules_dir / EN_RULES)),
        "cius-ro": (_ro_schema_text(rules_dir), str(rules_dir / RO_RULES)),
    }
    out = []
    for name, (text, base_url) in sources.items():
        digest = hashlib.sha256(text).hexdigest()[:32]
        path = cache / f"{name}-{digest}.xsl"
        if not path.is_file():
            compiled = _compile(text, base_url)
            cache.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(compiled)
            tmp.replace(path)
        out.append(path)
    return out


def run(document: bytes, rules_dir: Path, cache: Path) -> list[Finding]:
    """Every fatal finding of ANAF's rules on ``document`` (already parsed safely and XSD-valid)."""
    try:
        from saxonche import PySaxonProcessor
    except ImportError:
        raise fail(ErrorCode.CONFIG, "efactura.rules_dir is set but saxonche is not installed: "
                   "install the extra praho[efactura] (pip install 'praho[efactura]')",
                   setting="efactura.rules_dir") from None
    from lxml import etree

    sheets = compiled_rule_sets(rules_dir, cache)
    findings: list[Finding] = []
    # A processor per call: Saxon's processor is not safe to share across forked processes.
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        node = proc.parse_xml(xml_text=document.decode("utf-8"))
        for sheet in sheets:
            executable = xslt.compile_stylesheet(stylesheet_file=str(sheet))
            svrl = executable.transform_to_string(xdm_node=node)
            if svrl is None:
                raise fail(ErrorCode.INTERNAL, f"schematron {sheet.name} produced no report")
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
            report = etree.fromstring(svrl.encode("utf-8"), parser)
            for kind in ("failed-assert", "successful-report"):
                for item in report.iter(f"{{{SVRL}}}{kind}"):
                    flag = item.get("flag") or "fatal"
                    if flag != "fatal":
                        continue
                    text = " ".join("".join(item.itertext()).split())
                    findings.append(Finding(item.get("id") or "?", flag, item.get("location") or "", text))
    return findings

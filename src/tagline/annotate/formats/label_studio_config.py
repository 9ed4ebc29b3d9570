"""The Label Studio labelling configuration that goes with tagline's Label Studio export: one
``Text`` object read from ``$text``, ``Labels`` for the entities, ``Choices`` for the claim type and
one ``Choices`` per stance target, named as the exported results' ``from_name``/``to_name``."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable

TEXT_NAME = "text"  # the Text object's name: every result's to_name
SPAN_CONTROL = "label"  # the Labels control's name: the from_name of span results
CLAIM_CONTROL = "claim_type"
STANCE_PREFIX = "stance:"
SUFFIX = ".label_config.xml"  # written beside the exported tasks: export.json -> export.label_config.xml


def stance_control(target: str) -> str:
    return STANCE_PREFIX + target


def label_config(*, entity_labels: Iterable[str] = (), claim_labels: Iterable[str] = (),
                 stance_labels: Iterable[str] = (), targets: Iterable[str] = ()) -> str:
    """The ``<View>`` XML for these questions; a question without labels (or without targets, for
    stance) gets no control.

    Examples
    --------
    >>> print(label_config(entity_labels=["ORG"]))
    <View>
      <Text name="text" value="$text" />
      <Labels name="label" toName="text">
        <Label value="ORG" />
      </Labels>
    </View>
    """
    view = ElementTree.Element("View")
    ElementTree.SubElement(view, "Text", name=TEXT_NAME, value="$" + TEXT_NAME)
    entity_labels, claim_labels, stance_labels = list(entity_labels), list(claim_labels), list(stance_labels)
    if entity_labels:
        _control(view, "Labels", SPAN_CONTROL, "Label", entity_labels)
    if claim_labels:
        ElementTree.SubElement(view, "Header", value="Claim type")
        _control(view, "Choices", CLAIM_CONTROL, "Choice", claim_labels)
    for target in targets if stance_labels else ():
        ElementTree.SubElement(view, "Header", value=f"Stance toward {target}")
        _control(view, "Choices", stance_control(target), "Choice", stance_labels)
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"


def _control(view: ElementTree.Element, tag: str, name: str, item: str, values: list[str]) -> None:
    attributes = {"name": name, "toName": TEXT_NAME}
    if tag == "Choices":
        attributes["choice"] = "single"  # tagline holds one label per sentence and question
    control = ElementTree.SubElement(view, tag, attributes)
    for value in values:
        ElementTree.SubElement(control, item, value=value)

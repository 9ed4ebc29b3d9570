"""Readers and writers for peer annotation tools' files and public benchmarks, one module per format.

Readers turn a file into :class:`~tagline.annotate.formats.common.ForeignRecord` objects (text,
spans and labels exactly as the file has them); :mod:`tagline.annotate.interop` maps labels, checks
offsets and writes documents, events and gold. Writers turn sentences and one view of the answers
into a file. :mod:`tagline.annotate.formats.registry` lists them all, with how their files are
recognised and what each holds and loses. See ``docs/formats.md``.
"""

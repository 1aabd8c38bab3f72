"""Documents for a controller or an authority (the CNIL draft, the processor's notice): JSON, HTML and PDF.

They hold counts only, so they are written as ordinary files; the HTML comes from a Jinja2 template (the
controller's folders first, see :func:`fuite.notify.notice.template_env`) and the PDF from WeasyPrint.
"""

from __future__ import annotations

import json
from pathlib import Path

from fuite.notify.notice import template_env

__all__ = ["write_documents"]


def write_documents(data: dict, output: Path, stem: str, template: str, formats: tuple[str, ...],
                    override_dirs: list[Path] | None = None, filters: dict | None = None, **context) -> list[Path]:
    """Write ``output/<stem>.<fmt>`` for each of ``formats`` (json, html, pdf); return their paths.

    The template sees ``d`` (``data``) and ``context``; ``filters`` are added to its environment.
    """
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    if "json" in formats:
        path = output / f"{stem}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(path)
    if "html" in formats or "pdf" in formats:
        env = template_env(override_dirs)
        env.filters.update(filters or {})
        html = env.get_template(template).render(d=data, **context)
        if "html" in formats:
            path = output / f"{stem}.html"
            path.write_text(html, encoding="utf-8")
            written.append(path)
        if "pdf" in formats:
            from weasyprint import HTML

            path = output / f"{stem}.pdf"
            HTML(string=html).write_pdf(str(path))
            written.append(path)
    return written

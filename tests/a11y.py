"""Accessibility checks run in a real browser page (Playwright), for the pages residents and staff use.

What a person zooming to 200 %, moving by keyboard or reading with low vision relies on, measured on the
rendered page rather than on the HTML text:

- :func:`horizontal_overflow`: the page reflows to the window's width (no sideways scrolling);
- :func:`unlabelled_controls`: every form control a person can reach has an accessible name;
- :func:`low_contrast_texts`: text contrast against its actual background meets WCAG 2.1 AA (4.5:1, or 3:1
  for large text: 24 px, or 18.66 px bold);
- :func:`focus_indicator`: the element reached by Tab shows where the focus is: an outline of at least 2 px and
  3:1 against the background, or a shadow, that the element has only when focused.

And how the tests get there as a resident would: :data:`ZOOM_200`, :func:`resident_page` (no JavaScript), :func:`tab_to`.
"""

from tests.browser import close

#: A 1280 × 800 screen zoomed to 200 %: the page gets half the CSS pixels, each drawn twice as large.
ZOOM_200 = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}

#: Colour arithmetic shared by the checks: parse, stack, luminance, contrast ratio, the background behind an element.
_COLOURS_JS = """
  const rgba = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const luminance = (c) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  // The background actually behind an element: its ancestors' colours stacked down to white (the canvas);
  // null when an image is in the way (its colours are unknown here).
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== 'none') return null;
      const colour = rgba(style.backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const contrast = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };
"""

#: Text elements whose contrast is below WCAG AA: [text, ratio, colour, background] for each.
_LOW_CONTRAST_JS = (
    "() => {"
    + _COLOURS_JS
    + """
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    const text = Array.from(element.childNodes)
      .filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
    if (!text) continue;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || box.width <= 1 || box.height <= 1) continue;
    const back = background(element);
    if (!back) continue;
    const ratio = contrast(over(rgba(style.color), back), back);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      found.push([text.slice(0, 60), Math.round(ratio * 100) / 100, style.color, style.backgroundColor]);
    }
  }
  return found;
}
"""
)

#: Visible form controls without an accessible name: their outer HTML, shortened.
_UNLABELLED_JS = """
() => {
  const named = (e) => (e.labels && Array.from(e.labels).some((l) => l.getClientRects().length && l.textContent.trim()))
    || (e.getAttribute('aria-label') || '').trim()
    || (e.getAttribute('aria-labelledby') || '').split(/\\s+/).some((id) => {
      const label = id && document.getElementById(id);
      return label && label.textContent.trim();
    })
    || ((e.type === 'submit' || e.tagName === 'BUTTON') && (e.value || e.textContent).trim());
  return Array.from(document.querySelectorAll('input, select, textarea, button'))
    .filter((e) => e.type !== 'hidden' && e.getClientRects().length && !named(e))
    .map((e) => e.outerHTML.slice(0, 120));
}
"""

_FOCUS_JS = (
    "() => {"
    + _COLOURS_JS
    + """
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const look = () => {
    const style = getComputedStyle(e);
    return {outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth),
            colour: style.outlineColor, shadow: style.boxShadow};
  };
  const focused = look();
  e.blur();
  const unfocused = look();
  e.focus({focusVisible: true});
  const back = background(e.parentElement || e) || {r: 255, g: 255, b: 255, a: 1};
  const outline = focused.outline >= 2 && unfocused.outline < 2
    && contrast(over(rgba(focused.colour), back), back) >= 3;
  const shadow = focused.shadow !== 'none' && focused.shadow !== unfocused.shadow;
  return {tag: e.tagName, text: (e.textContent || e.value || '').trim().slice(0, 60), visible: outline || shadow};
}
"""
)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its window (0 when it reflows)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def unlabelled_controls(page) -> list[str]:
    return page.evaluate(_UNLABELLED_JS)


def low_contrast_texts(page) -> list[list]:
    return page.evaluate(_LOW_CONTRAST_JS)


def focus_indicator(page) -> dict | None:
    """The focused element (tag, text) and whether its focus is visible; None when nothing has the focus."""
    return page.evaluate(_FOCUS_JS)


def check_page(page) -> list[str]:
    """Every failure of the checks above on the current page, as sentences naming the page."""
    where = page.url.split("/", 3)[-1]
    problems = []
    if (extra := horizontal_overflow(page)) > 0:
        problems.append(f"/{where}: {extra} px wider than the window")
    problems += [f"/{where}: control without a label: {html}" for html in unlabelled_controls(page)]
    problems += [
        f"/{where}: contrast {ratio} for {text!r} ({colour} on {back})"
        for text, ratio, colour, back in low_contrast_texts(page)
    ]
    return problems


def resident_page(browser, live_server):
    """Yield a page as a resident may use it: in French, at 200 %, without JavaScript; then close it (a fixture's
    body: ``yield from resident_page(browser, live_server)``)."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", java_script_enabled=False, **ZOOM_200)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    close(context, live_server)


def tab_to(page, name_start: str, *, limit: int = 40) -> list[dict]:
    """Press Tab until the focused element's text (a link, a button) or its label (a control) starts with
    ``name_start``; return the :func:`focus_indicator` of every element passed through."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = focus_indicator(page)
        passed.append(focused)
        label = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e && e.labels && e.labels.length ? e.labels[0].textContent.trim() : ''; }"
        )
        if focused and (focused["text"].startswith(name_start) or label.startswith(name_start)):
            return passed
    raise AssertionError(f"Tab never reached {name_start!r}; passed {passed}")


def unseen_focus(passed: list[dict | None]) -> list[str]:
    """The elements of ``passed`` (from :func:`tab_to`) whose focus was not visible."""
    return [f"{f['tag']} {f['text']!r}" for f in passed if f and not f["visible"]]

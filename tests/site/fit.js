// Does the page fit its width? Run as a function body by tests/test_site_browser.py.
// overflowing: visible elements that reach past the page's left or right edge, unless something
// that scrolls or clips on its own (a table's scroll box, a carousel) holds them and itself fits;
// squeezed: texts in a column so narrow that they stand fewer than three letters per line.
const width = document.documentElement.clientWidth;
const describe = (el) => {
  const id = el.id ? '#' + el.id : '';
  const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '';
  return el.tagName.toLowerCase() + id + cls;
};
// inside something that scrolls or clips on its own, and that itself fits: not the page's overflow
const contained = (el) => {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (s.overflowX !== 'visible') {
      const r = p.getBoundingClientRect();
      if (r.left >= -1 && r.right <= width + 1) return true;
    }
  }
  return false;
};
const overflowing = [];
for (const el of document.body.querySelectorAll('*')) {
  if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || r.right <= 0) continue;  // nothing, or a closed drawer left of the page
  if ((r.right > width + 1 || r.left < -1) && !contained(el)) {
    overflowing.push(describe(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
}
// a text squeezed into a column so narrow that it stands one letter (or two) per line
const squeezed = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = node.textContent.trim();
  const parent = node.parentElement;
  if (text.length < 4 || !parent || parent.closest('.sc-sr')
      || !parent.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
  const range = document.createRange();
  range.selectNodeContents(node);
  const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  if (lines.size >= 3 && text.length / lines.size < 3) {
    squeezed.push(describe(node.parentElement) + ': ' + JSON.stringify(text.slice(0, 40)) + ' on ' + lines.size + ' lines');
  }
}
return {scroll: document.documentElement.scrollWidth, width: width, overflowing: overflowing.slice(0, 20), squeezed: squeezed.slice(0, 20)};

// The layout and language check of tests/e2e/layout.py, run in the page: page.evaluate(this, [lang, data]).
([lang, data]) => {
    const problems = [];
    // Latin letters a Chinese page may show: codes, units and hashes, not words
    const ALLOWED_LATIN = /WGS-84|GCJ-02|BD-09|PDF|A4|OpenStreetMap|MapLibre|gridops|\bEsc\b|\bCtrl\b|\bEnter\b|\b[A-Z]\d+\b|\bkm\b|\bmin\b|\b[0-9a-f]{8,}\b/g;
    const W = window.innerWidth;
    const visible = (el) => {
        if (!el.getClientRects().length) return false;
        const s = getComputedStyle(el);
        return s.visibility !== 'hidden' && s.display !== 'none' && parseFloat(s.opacity || '1') > 0;
    };
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.classList.length ? '.' + [...el.classList].join('.') : '')
        + (el.dataset && el.dataset.i18n ? `[${el.dataset.i18n}]` : '')
        + ` "${(el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim().slice(0, 32)}"`;
    // scrolled (or clipped) by an ancestor: a table in a scrolling box, a list in its pane
    const scrolledAway = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const s = getComputedStyle(p);
            if (/(auto|scroll|hidden|clip)/.test(s.overflowX + s.overflowY)) {
                const a = p.getBoundingClientRect(), b = el.getBoundingClientRect();
                if (b.right > a.right + 1 || b.left < a.left - 1 || b.bottom > a.bottom + 1 || b.top < a.top - 1) return true;
            }
        }
        return false;
    };
    // in a bar fixed to the screen (the phone page's tab bar): the page scrolls under it, by design
    const fixed = (el) => {
        for (let p = el; p && p !== document.body; p = p.parentElement) {
            const pos = getComputedStyle(p).position;
            if (pos === 'fixed' || pos === 'sticky') return p;
        }
        return null;
    };
    const inMap = (el) => !!el.closest('.maplibregl-canvas-container, .maplibregl-marker, .maplibregl-ctrl-attrib');

    const page = document.scrollingElement;
    if (page.scrollWidth > W + 1) problems.push(`the page scrolls sideways: ${page.scrollWidth} px wide in ${W}`);

    const controls = [...document.querySelectorAll(
        'button, a[href], input:not([type=hidden]), select, textarea, summary, label, [role=button], [role=tab], [tabindex]:not([tabindex="-1"])')]
        .filter((el) => visible(el) && !inMap(el) && !scrolledAway(el));
    for (const el of controls) {
        const r = el.getBoundingClientRect();
        if (r.right > W + 1 || r.left < -1) problems.push(`off the screen (${Math.round(r.left)}–${Math.round(r.right)} of ${W}): ${name(el)}`);
    }
    // cut-off text: a control or a heading or a badge whose text is wider than its box, without an ellipsis
    const texts = [...document.querySelectorAll('button, a, label, th, h1, h2, h3, summary, .badge, .chip, .pill, .tag, option')]
        .filter((el) => visible(el) && !inMap(el) && !scrolledAway(el) && el.tagName !== 'OPTION');
    for (const el of texts) {
        const s = getComputedStyle(el);
        // shortened on purpose (an ellipsis), or spilling out where it can be read (overlaps are checked below)
        if (s.textOverflow === 'ellipsis' || !/(hidden|clip)/.test(s.overflowX + s.overflowY)) continue;
        if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 2) {
            problems.push(`text cut off (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}): ${name(el)}`);
        }
    }
    // overlapping controls (not one inside the other, not a label and its own control)
    const boxes = controls.filter((el) => !el.closest('.maplibregl-map') || el.closest('.maplibregl-ctrl'))
        .map((el) => [el, el.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const [a, ra] = boxes[i], [b, rb] = boxes[j];
            if (a.contains(b) || b.contains(a)) continue;
            if ((a.tagName === 'LABEL' && (a.control === b || a.htmlFor === b.id)) ||
                (b.tagName === 'LABEL' && (b.control === a || b.htmlFor === a.id))) continue;
            const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            if (w > 2 && h > 2 && fixed(a) === fixed(b)) problems.push(`overlap: ${name(a)} and ${name(b)}`);
        }
    }
    // words on screen
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    const shown = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.nodeValue.trim();
        if (!text || !n.parentElement || !visible(n.parentElement) || n.parentElement.closest('script, style, .maplibregl-ctrl-attrib, .lang-switch')) continue;
        shown.push([text, n.parentElement]);
    }
    for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
        if (visible(el)) shown.push([el.placeholder, el]);
    }
    for (const el of document.querySelectorAll('[aria-label], [title]')) {
        if (visible(el) && !el.closest('.lang-switch')) for (const a of ['aria-label', 'title']) if (el.getAttribute(a)) shown.push([el.getAttribute(a), el]);
    }
    for (const [text, el] of shown) {
        if (/^[a-z][a-z_]*(\.[a-z0-9_]+)+$/.test(text) && !seen.has(text)) {
            seen.add(text);
            problems.push(`a raw translation key: "${text}" in ${name(el)}`);
        }
        if (lang === 'zh-CN' && /[A-Za-z]{3,}/.test(text)) {
            let rest = text;
            for (const d of data) if (d && rest.includes(d)) rest = rest.split(d).join(' ');
            rest = rest.replace(ALLOWED_LATIN, ' ');
            if (/[A-Za-z]{3,}/.test(rest) && !seen.has(text)) {
                seen.add(text);
                problems.push(`English in the Chinese page: "${text.slice(0, 60)}" in ${name(el)}`);
            }
        }
        if (lang === 'en' && /[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/.test(text)) {
            let rest = text;
            for (const d of data) if (d && rest.includes(d)) rest = rest.split(d).join(' ');
            if (/[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/.test(rest) && !seen.has(text)) {
                seen.add(text);
                problems.push(`Chinese in the English page: "${text.slice(0, 60)}" in ${name(el)}`);
            }
        }
    }
    return problems;
}

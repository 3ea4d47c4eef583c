// <slipway-banner src="/slipway/banner.json"></slipway-banner>: the update banner a host app puts
// at the top of its own dashboard. It reads the agent's read-only banner (through the host app's
// own origin: slipway/http's bannerMiddleware forwards it with a viewer token) and shows the same
// banner as Settings › Updates: the level (danger for security), the title, the notes' summary,
// the advisories and support warnings, and the release notes (HTML the agent rendered from
// Markdown with raw HTML off). Everything else is written as text.
'use strict';

const STYLE = `
:host { display: block; font: inherit; }
.banner { border-left: 6px solid #2f6fde; background: #eef3fd; padding: .6rem 1rem; margin: 0 0 1rem; border-radius: 4px; }
.banner.warning { border-left-color: #b26a00; background: #fff5e5; }
.banner.danger { border-left-color: #c62828; background: #fdecea; }
.title { font-weight: 600; }
ul { margin: .25rem 0; padding-left: 1.2rem; }
details { margin-top: .25rem; }
footer { color: #5a6270; font-size: .85em; margin-top: .25rem; }
`;

class SlipwayBanner extends HTMLElement {
  connectedCallback() {
    if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
    this.load();
    const seconds = Number(this.getAttribute('refresh') || 300);
    if (seconds > 0) this.timer = setInterval(() => this.load(), Math.max(seconds, 10) * 1000);
  }

  disconnectedCallback() {
    clearInterval(this.timer);
  }

  async load() {
    const src = this.getAttribute('src') || '/slipway/banner.json';
    try {
      const r = await fetch(src, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      this.render(await r.json());
    } catch (e) {
      this.setAttribute('data-error', e.message);
    }
  }

  render(b) {
    const root = this.shadowRoot;
    const el = (tag, cls, text) => {
      const n = document.createElement(tag);
      if (cls) n.className = cls;
      if (text !== undefined) n.textContent = text;
      return n;
    };
    const style = el('style', '', STYLE);
    this.setAttribute('level', b.level);
    if (b.level === 'none') {
      root.replaceChildren(style);
      return;
    }
    const box = el('div', `banner ${b.level}`);
    box.setAttribute('role', b.level === 'danger' ? 'alert' : 'status');
    box.append(el('div', 'title', b.title));
    if (b.summary) box.append(el('div', 'summary', b.summary));
    const lines = [...b.advisories, ...b.warnings.filter((w) => w !== b.title)];
    if (lines.length) {
      const ul = el('ul', 'notices');
      for (const l of lines) ul.append(el('li', '', l));
      box.append(ul);
    }
    if (b.notesHtml) {
      const d = el('details', 'notes');
      d.append(el('summary', '', 'Release notes'));
      const body = el('div', 'notes-body');
      body.innerHTML = b.notesHtml; // rendered by the agent with raw HTML off
      d.append(body);
      box.append(d);
    }
    box.append(el('footer', '', b.footer));
    root.replaceChildren(style, box);
  }
}

if (!customElements.get('slipway-banner')) customElements.define('slipway-banner', SlipwayBanner);

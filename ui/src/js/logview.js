// A virtualised log viewer: only the rows in sight (plus a margin) are in the DOM, so a log
// of hundreds of thousands of lines scrolls without freezing the tab.
import { h, clear } from './util.js';

const MARGIN = 30;

export class LogView {
  constructor() {
    this.lines = [];
    this.term = '';
    this.matches = [];
    this.current = -1;  // index into matches
    this.rows = h('div', { class: 'rows' });
    this.spacer = h('div', { class: 'spacer' }, this.rows);
    this.el = h('div', { class: 'logview', tabindex: '0', role: 'log', 'aria-label': 'Log lines' }, this.spacer);
    this.lineHeight = 0;
    this.pending = false;
    this.el.addEventListener('scroll', () => this.schedule());
    this.resizeObs = new ResizeObserver(() => this.schedule());
    this.resizeObs.observe(this.el);
  }

  destroy() {
    this.resizeObs.disconnect();
  }

  measure() {
    if (this.lineHeight) return this.lineHeight;
    const probe = h('div', { class: 'line' }, 'X');
    this.rows.append(probe);
    this.lineHeight = probe.getBoundingClientRect().height || 18;
    probe.remove();
    return this.lineHeight;
  }

  set(lines) {
    this.lines = lines;
    this.recompute();
    this.schedule();
  }

  append(newLines) {
    const start = this.lines.length;
    for (const l of newLines) this.lines.push(l);
    if (this.term) {
      const t = this.term;
      for (let i = start; i < this.lines.length; i++) if (this.lines[i].toLowerCase().includes(t)) this.matches.push(i);
    }
    this.schedule();
  }

  atBottom() {
    return this.el.scrollTop + this.el.clientHeight >= this.el.scrollHeight - 4;
  }

  scrollToEnd() {
    this.render();
    this.el.scrollTop = this.el.scrollHeight;
    this.render();
  }

  search(term) {
    this.term = (term || '').toLowerCase();
    this.recompute();
    this.current = this.matches.length ? 0 : -1;
    if (this.current >= 0) this.reveal(this.matches[0]);
    this.schedule();
  }

  recompute() {
    this.matches = [];
    if (!this.term) return;
    const t = this.term;
    const L = this.lines;
    for (let i = 0; i < L.length; i++) if (L[i].toLowerCase().includes(t)) this.matches.push(i);
  }

  step(dir) {
    if (!this.matches.length) return;
    this.current = (this.current + dir + this.matches.length) % this.matches.length;
    this.reveal(this.matches[this.current]);
    this.schedule();
  }

  reveal(i) {
    const lh = this.measure();
    const top = i * lh;
    if (top < this.el.scrollTop || top + lh > this.el.scrollTop + this.el.clientHeight) {
      this.el.scrollTop = Math.max(0, top - this.el.clientHeight / 2);
    }
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render() {
    const lh = this.measure();
    const n = this.lines.length;
    this.spacer.style.height = (n * lh) + 'px';
    const first = Math.max(0, Math.floor(this.el.scrollTop / lh) - MARGIN);
    const last = Math.min(n, Math.ceil((this.el.scrollTop + this.el.clientHeight) / lh) + MARGIN);
    this.rows.style.transform = `translateY(${first * lh}px)`;
    const cur = this.current >= 0 ? this.matches[this.current] : -1;
    const width = String(n).length;
    clear(this.rows);
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const text = this.lines[i];
      const row = h('div', { class: i === cur ? 'line current' : 'line' },
        h('span', { class: 'ln', 'aria-hidden': 'true', text: String(i + 1).padStart(width, ' ') }));
      if (this.term && text.toLowerCase().includes(this.term)) {
        const low = text.toLowerCase();
        let at = 0;
        let k;
        while ((k = low.indexOf(this.term, at)) >= 0) {
          row.append(text.slice(at, k), h('mark', { text: text.slice(k, k + this.term.length) }));
          at = k + this.term.length;
        }
        row.append(text.slice(at));
      } else {
        row.append(text);
      }
      frag.append(row);
    }
    this.rows.append(frag);
  }
}
